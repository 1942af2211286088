import type { FlipResult } from './registry.ts';
import type { SingleRequestLatency } from './latency.ts';
import type { ModelEntry, ProductionRecord } from './types.ts';

/** 'batch 1: p50 0.052 ms, p99 0.090 ms (200 runs on host, 2026-01-01T00:00:00.000Z)' */
export function formatLatency(l: SingleRequestLatency): string {
  return `batch 1: p50 ${l.p50Ms.toFixed(3)} ms, p99 ${l.p99Ms.toFixed(3)} ms (${l.runs} runs on ${l.host}, ${l.measuredAt})`;
}

// Terminal text for flips and status. JSON forms are the objects themselves.

export function formatFlip(flip: FlipResult, where: { backend: 'file' | 'kafka'; path: string; topic: string }): string {
  const e = flip.event;
  const verb = e.action === 'promote' ? 'promoted' : 'rolled back';
  const dest =
    where.backend === 'kafka' && flip.published
      ? `published to ${where.topic} (partition ${flip.published.topicPartition}, offset ${flip.published.offset}); registry file ${where.path}`
      : `registry file ${where.path}`;
  return (
    `${verb} ${flip.record.model}: ${e.from ?? '(none)'} -> ${e.to}\n` +
    `  artifact     ${flip.record.artifact.path}\n` +
    `  verified     exists, sha256 ${flip.record.artifact.sha256.slice(0, 16)}… unchanged, loads in onnxruntime\n` +
    `  flag         ${dest}\n` +
    `  promotion id ${e.promotionId}${e.gateDecisionId ? ` (gate decision ${e.gateDecisionId})` : ''}\n` +
    `  by           ${e.actor} at ${e.at}${e.reason ? ` — ${e.reason}` : ''}\n`
  );
}

export interface StatusView {
  readonly model: string;
  readonly entry: ModelEntry;
  readonly published?: ProductionRecord | null | { error: string };
  readonly candidates: readonly CandidateRow[];
  readonly historyLimit: number;
  /** How far back the traffic figures go, e.g. '7d'. */
  readonly window: string;
  /** The config's consumer group: caught up or not (`status` of the config's own model only). */
  readonly consumer?: ConsumerStatus;
}

export type ConsumerStatus =
  | { readonly group: string; readonly source: string; readonly caughtUp: boolean; readonly behind: number; readonly lag: number }
  | { readonly group: string; readonly source: string; readonly error: string };

export interface CandidateRow {
  readonly version: string;
  readonly registered: boolean;
  readonly compared: number;
  readonly agreement: number | null;
  readonly lastSeen: string | null;
  readonly lastDecision: string | null;
  readonly lastDecidedAt: string | null;
}

export function formatStatus(v: StatusView): string {
  const e = v.entry;
  const lines: string[] = [];
  lines.push(`model ${v.model}`);
  lines.push(`  production  ${e.production ?? '(none)'}${e.production && e.versions[e.production] ? `  ${e.versions[e.production]?.artifact.path}` : ''}`);
  const prev = e.lineage.length >= 2 ? e.lineage[e.lineage.length - 2] : null;
  lines.push(`  rollback to ${prev ?? '(nothing: no previous production version)'}`);
  if (v.published !== undefined) {
    const p = v.published;
    const text = p === null ? '(no record)' : 'error' in p ? `unreachable: ${p.error}` : `${p.version} (${p.action} at ${p.at} by ${p.actor})`;
    const drift = p && !('error' in p) && p.version !== e.production ? '  <- differs from the registry file' : '';
    lines.push(`  flag topic  ${text}${drift}`);
  }
  if (v.consumer) lines.push(`  caught up   ${caughtUpText(v.consumer)}`);
  lines.push('');
  lines.push(`versions and candidates (traffic: last ${v.window} of stats_1m):`);
  lines.push(
    table(
      ['version', 'registered', 'role', 'comparisons', 'agreement', 'last seen', 'last gate decision'],
      v.candidates.map((c) => [
        c.version, c.registered ? 'yes' : 'no', c.version === e.production ? 'production' : e.history.some((h) => h.to === c.version) ? 'former production' : 'candidate',
        String(c.compared), c.agreement === null ? '-' : c.agreement.toFixed(4), c.lastSeen ?? '-',
        c.lastDecision ? `${c.lastDecision} at ${c.lastDecidedAt}` : '-',
      ]),
    ),
  );
  lines.push('');
  lines.push(`history (last ${v.historyLimit}):`);
  lines.push(
    table(
      ['at', 'action', 'from', 'to', 'actor', 'reason', 'gate decision'],
      e.history.slice(-v.historyLimit).reverse().map((h) => [h.at, h.action, h.from ?? '-', h.to, h.actor, h.reason || '-', h.gateDecisionId ?? '-']),
    ),
  );
  return `${lines.join('\n')}\n`;
}

function table(head: string[], rows: string[][]): string {
  if (rows.length === 0) return '  (none)';
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) => `  ${r.map((c, i) => c.padEnd(widths[i] as number)).join('  ')}`.trimEnd();
  return [fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n');
}

/** "yes, 0 records behind" / "no, 1,200 records behind (1,500 not yet committed)" / "unknown (...)". */
export function caughtUpText(c: ConsumerStatus): string {
  const where = `group ${c.group}, ${c.source}`;
  if ('error' in c) return `unknown (${where}: ${c.error})`;
  const n = (x: number) => x.toLocaleString('en-US');
  const pending = c.lag > c.behind ? `; ${n(c.lag)} not yet committed, some of them waiting in the join window` : '';
  return `${c.caughtUp ? 'yes' : 'no'}, ${n(c.behind)} records behind (${where}${pending})`;
}
