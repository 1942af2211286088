import { COMMON_HELP, parseFlags, type Command } from './command.ts';
import { createContext } from './context.ts';
import { parseEnd } from './gate.ts';
import { EXIT } from './exit-codes.ts';
import { runDiagnose, formatDiagnosis, type Period } from '../diagnose/index.ts';
import { ShadowError } from '../errors.ts';
import { Duration, durationSeconds } from '../gate/config.ts';
import { openQueryRunner } from '../query/index.ts';
import { readDatabase } from '../sinks/clickhouse/cluster.ts';

export const diagnoseCommand: Command = {
  help: `Usage: shadow-compare diagnose [--window 1d] [--reference 7d | --reference-from T --reference-to T]
                               [--segment dim=value] [--json] [options]

Before reverting: compares the window with a reference period, per segment value, on feature drift
(PSI + chi-square), feature health (missing and out-of-range rates), schema mismatches, both models'
score distributions, agreement and labels; every test of the run is corrected together (Holm). Each
flagged segment value is classified, with the figures that decided and the action:
feature pipeline problem, world changed, candidate regression or insufficient evidence (docs/diagnose.md).
Exit code: 0 nothing flagged, 6 something flagged, 7 nothing could be judged (too few profiled
requests), 2 usage or input error, 1 failure.

Options:
      --model M             model (default: the config's model)
      --candidate V         candidate version whose run recorded the profiles (default: candidate.version)
      --window D            window length, ending at --end (default 1d)
      --end TIME            window end, ISO 8601 (default: now)
      --reference D         reference length, just before the window (default 7d)
      --reference-from T    reference start, ISO 8601 (with --reference-to; replaces --reference)
      --reference-to T      reference end, ISO 8601
      --segment DIM=VALUE   judge only this segment value
      --json                print the diagnosis as JSON (stable keys)
      --via URL             ask a running processor (http://HOST:PORT) instead of opening the store
${COMMON_HELP}`,
  async run(argv) {
    const { values } = parseFlags(
      argv,
      {
        model: { type: 'string' }, candidate: { type: 'string' }, window: { type: 'string' }, end: { type: 'string' }, reference: { type: 'string' },
        'reference-from': { type: 'string' }, 'reference-to': { type: 'string' }, segment: { type: 'string' }, json: { type: 'boolean', default: false }, via: { type: 'string' },
      },
      false,
    );
    const { window, reference } = periodsOf(values);
    const segment = segmentOf(values.segment);
    const ctx = createContext(values);
    const opened = await openQueryRunner(ctx.config, { via: values.via, token: values.via ? ctx.apiToken() : null, log: (m) => ctx.logger.info({ stage: 'migrate' }, m) });
    try {
      const d = await runDiagnose(opened.runner, {
        database: readDatabase(ctx.config.clickhouse),
        model: values.model ?? ctx.config.model,
        candidate: values.candidate ?? ctx.config.candidate.version,
        window,
        reference,
        segment,
      });
      process.stdout.write(values.json ? `${JSON.stringify(d, null, 2)}\n` : formatDiagnosis(d));
      if (d.findings.length > 0) return EXIT.FLAGGED;
      return d.segmentsJudged === 0 ? EXIT.NOT_JUDGED : EXIT.OK;
    } finally {
      await opened.close();
    }
  },
};

interface PeriodFlags {
  window?: string | undefined;
  end?: string | undefined;
  reference?: string | undefined;
  'reference-from'?: string | undefined;
  'reference-to'?: string | undefined;
}

/** The window ends at --end; the reference is the period just before it unless given explicitly. */
export function periodsOf(v: PeriodFlags): { window: Period; reference: Period } {
  const end = parseEnd(v.end);
  const window: Period = { from: new Date(end.getTime() - durationMs('--window', v.window ?? '1d')), to: end };
  const from = v['reference-from'];
  const to = v['reference-to'];
  if ((from === undefined) !== (to === undefined)) throw new ShadowError('SHADOW_CONFIG', '--reference-from and --reference-to go together');
  if (from !== undefined && v.reference !== undefined) throw new ShadowError('SHADOW_CONFIG', '--reference and --reference-from/--reference-to exclude each other');
  if (from !== undefined && to !== undefined) {
    const reference = { from: isoFlag('--reference-from', from), to: isoFlag('--reference-to', to) };
    if (!(reference.from < reference.to)) throw new ShadowError('SHADOW_CONFIG', '--reference-from must be before --reference-to');
    return { window, reference };
  }
  return { window, reference: { from: new Date(window.from.getTime() - durationMs('--reference', v.reference ?? '7d')), to: window.from } };
}

export function segmentOf(text: string | undefined): { dimension: string; value: string } | undefined {
  if (text === undefined) return undefined;
  const i = text.indexOf('=');
  if (i <= 0) throw new ShadowError('SHADOW_CONFIG', `--segment: expected DIM=VALUE like country=BR, got "${text}"`);
  return { dimension: text.slice(0, i), value: text.slice(i + 1) };
}

function durationMs(flag: string, text: string): number {
  const parsed = Duration.safeParse(text);
  if (!parsed.success) throw new ShadowError('SHADOW_CONFIG', `${flag}: expected a duration like 30m, 12h or 7d, got "${text}"`);
  return durationSeconds(parsed.data) * 1000;
}

function isoFlag(flag: string, text: string): Date {
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new ShadowError('SHADOW_CONFIG', `${flag}: expected an ISO 8601 time like 2025-01-08T00:00:00Z, got "${text}"`);
  return d;
}
