// Fault seams for the write fence: they freeze a writer at an exact point of an insert, so a test can
// move its partition to another owner in that gap, deterministically rather than by timing luck.
import { Readable } from 'node:stream';
import type { Store } from '../../src/sinks/clickhouse/client.ts';
import type { RowSink } from '../../src/sinks/clickhouse/outcome-sink.ts';

export interface Freeze {
  /** Resolves once the writer is frozen at the seam. */
  readonly frozen: Promise<void>;
  /** Lets the writer go on. */
  release(): void;
}

function gate(): { frozen: Promise<void>; reached: () => void; opened: Promise<void>; release: () => void } {
  let reached!: () => void;
  let release!: () => void;
  const frozen = new Promise<void>((r) => (reached = r));
  const opened = new Promise<void>((r) => (release = r));
  return { frozen, reached, opened, release };
}

/**
 * Freezes the first insert after the client-side fence has let it through and before a byte is sent:
 * the window of a writer paused (GC, SIGSTOP, a frozen VM) between its check and its send.
 */
export function freezeBeforeSend(inner: RowSink): { sink: RowSink } & Freeze {
  const g = gate();
  let armed = true;
  const sink: RowSink = {
    async insert(rows, token, stamp, folded) {
      if (armed) {
        armed = false;
        g.reached();
        await g.opened;
      }
      await inner.insert(rows, token, stamp, folded);
    },
    resend: (tuples, token, stamp) => inner.resend(tuples, token, stamp),
  };
  return { sink, frozen: g.frozen, release: g.release };
}

/**
 * Freezes the first insert through this store mid-request: the HTTP request is open and the first
 * half of the rows is on its way to the server when the writer stops sending; the rest follows on
 * release. The client streams the rows (objectMode stream, one JSON line each).
 */
export function freezeMidRequest(store: Store): { store: Store; readonly sentBeforeFreeze: () => number } & Freeze {
  const g = gate();
  let armed = true;
  let sentBeforeFreeze = 0;
  const client = new Proxy(store.client, {
    get(target, prop, receiver) {
      if (prop !== 'insert') return Reflect.get(target, prop, receiver);
      return (params: Parameters<Store['client']['insert']>[0]) => {
        if (!armed || !Array.isArray(params.values)) return target.insert(params);
        armed = false;
        const rows = params.values as unknown[];
        const half = Math.ceil(rows.length / 2);
        let i = 0;
        let state: 'sending' | 'frozen' | 'released' = 'sending';
        const values = new Readable({
          objectMode: true,
          read() {
            if (i === half && state !== 'released') {
              if (state === 'sending') {
                state = 'frozen';
                sentBeforeFreeze = i;
                g.reached();
                void g.opened.then(() => {
                  state = 'released';
                  this.push(rows[i++] ?? null);
                });
              }
              return;
            }
            this.push(i < rows.length ? rows[i++] : null);
          },
        });
        return target.insert({ ...params, values });
      };
    },
  });
  return { store: { ...store, client }, frozen: g.frozen, release: g.release, sentBeforeFreeze: () => sentBeforeFreeze };
}
