import type { Logger } from '../ops/logger.ts';

// Pages the owner when the guard has rolled back: a JSON POST to the configured contact point, or, with
// none configured (or when it fails), a log line at level fatal with the stable code
// SHADOW_GUARD_ROLLBACK that log-based alerting can match. Never throws: the rollback is done and stands.

export interface GuardPage {
  readonly code: 'SHADOW_GUARD_ROLLBACK';
  readonly model: string;
  readonly from: string;
  readonly to: string;
  readonly reason: string;
  readonly gateDecisionId: string;
  readonly promotionId: string;
  readonly detectedAt: string;
  readonly detectionToFlipMs: number;
  readonly owner: string | null;
  readonly runbook: string | null;
}

export async function pageOwner(page: GuardPage, o: { contact?: string; timeoutMs: number; log: Logger }): Promise<{ delivered: boolean; detail: string }> {
  let result: { delivered: boolean; detail: string };
  if (!o.contact) result = { delivered: false, detail: 'no guard.contact configured' };
  else {
    try {
      const res = await fetch(o.contact, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(page),
        signal: AbortSignal.timeout(o.timeoutMs),
      });
      result = res.ok ? { delivered: true, detail: `contact answered ${res.status}` } : { delivered: false, detail: `contact answered ${res.status}` };
    } catch (err) {
      result = { delivered: false, detail: `contact unreachable: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
  // The URL may carry a token (webhook paths often do): log its origin only.
  const contact = o.contact ? new URL(o.contact).origin : null;
  if (result.delivered) o.log.warn({ ...page, contact }, 'guard rolled back; owner paged');
  else o.log.fatal({ ...page, contact, pageFailure: result.detail }, 'guard rolled back; owner NOT paged through a contact point');
  return result;
}
