// Summarises a V8 .cpuprofile (node --cpu-prof): self time per function, self time per package or
// source folder, and inclusive time of the pipeline's own functions.
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileRow {
  name: string;
  where: string;
  category: string;
  ms: number;
  /** Share of non-idle samples. */
  pct: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  idleMs: number;
  busyMs: number;
  topSelf: ProfileRow[];
  byCategory: { category: string; ms: number; pct: number }[];
  /** Inclusive (self + callees) time of functions under src/, the pipeline's stages. */
  topInclusiveSrc: ProfileRow[];
}

const SPECIAL = new Set(['(idle)', '(program)', '(garbage collector)', '(root)']);

function shortUrl(url: string): string {
  if (!url) return '';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const src = url.search(/\/(src|bench|scripts|bin)\//);
  if (src >= 0) return url.slice(src + 1);
  return url.replace(/^file:\/\//, '');
}

export function categoryOf(f: CallFrame): string {
  if (SPECIAL.has(f.functionName)) return f.functionName;
  const url = f.url;
  if (!url) return f.functionName === 'parse' || f.functionName === 'stringify' ? `JSON.${f.functionName} (native)` : '(native / builtins)';
  if (url.startsWith('node:')) return 'node internals';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const src = /\/src\/([^/]+)\//.exec(url);
  if (src) return `src/${src[1]}`;
  return shortUrl(url) || '(other)';
}

export function summarizeProfile(file: string, top = 25): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  // timeDeltas[i+1] is the time until the next sample: attribute it to sample i.
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i + 1] ?? 0;
    selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + Math.max(0, dt));
  }
  const key = (f: CallFrame) => `${f.functionName || '(anonymous)'}\u0000${shortUrl(f.url)}${f.url ? `:${f.lineNumber + 1}` : ''}`;
  const frames = new Map<string, CallFrame>();
  for (const n of p.nodes) frames.set(key(n.callFrame), n.callFrame);
  const self = new Map<string, { ms: number; f: CallFrame }>();
  const cats = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const f = byId.get(id)!.callFrame;
    totalUs += us;
    if (f.functionName === '(idle)') idleUs += us;
    const k = key(f);
    const e = self.get(k) ?? { ms: 0, f };
    e.ms += us / 1000;
    self.set(k, e);
    const c = categoryOf(f);
    cats.set(c, (cats.get(c) ?? 0) + us / 1000);
  }
  // Inclusive: each sample counts once for every distinct src/ function on its stack.
  const incl = new Map<string, number>();
  const stackKeys = new Map<number, string[]>();
  const srcKeysOf = (id: number): string[] => {
    const cached = stackKeys.get(id);
    if (cached) return cached;
    const out = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      if (/\/src\//.test(f.url) && !f.url.includes('node_modules')) out.add(key(f));
    }
    const arr = [...out];
    stackKeys.set(id, arr);
    return arr;
  };
  for (const [id, us] of selfUs) {
    for (const k of srcKeysOf(id)) incl.set(k, (incl.get(k) ?? 0) + us / 1000);
  }
  const busyMs = (totalUs - idleUs) / 1000;
  const row = (k: string, ms: number): ProfileRow => {
    const [name, where] = k.split('\u0000') as [string, string];
    const f = frames.get(k)!;
    return { name, where, category: categoryOf(f), ms: Math.round(ms), pct: (100 * ms) / busyMs };
  };
  return {
    file,
    totalMs: Math.round(totalUs / 1000),
    idleMs: Math.round(idleUs / 1000),
    busyMs: Math.round(busyMs),
    topSelf: [...self.entries()]
      .filter(([, v]) => v.f.functionName !== '(idle)')
      .sort((a, b) => b[1].ms - a[1].ms)
      .slice(0, top)
      .map(([k, v]) => row(k, v.ms)),
    byCategory: [...cats.entries()]
      .filter(([c]) => c !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .map(([category, ms]) => ({ category, ms: Math.round(ms), pct: (100 * ms) / busyMs })),
    topInclusiveSrc: [...incl.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, ms]) => row(k, ms)),
  };
}
