import type { RecordSource, SourceHandler } from '../../pipeline/record-source.ts';
import type { Stream } from '../../types.ts';
import { readNdjson } from './ndjson-source.ts';

/**
 * A replay file as a RecordSource: one partition (0) whose batches mix both streams in line order.
 * `start` delivers the whole file and resolves at its end. Nothing is committed (a replay of the same
 * file is recognised through the ledger, so it always starts from offset 0), no group, no log end.
 * A batch the driver returns early from is delivered again from the first record it did not take.
 */
export class FileSource implements RecordSource {
  private stopped = false;

  constructor(
    private readonly path: string,
    private readonly batchSize = 1000,
  ) {}

  async start(handler: SourceHandler): Promise<void> {
    handler.assigned([0]);
    for await (const batch of readNdjson(this.path, this.batchSize)) {
      let rest = batch;
      while (rest.length > 0 && !this.stopped) {
        let taken = -1;
        await handler.batch({
          partition: 0,
          stream: null,
          records: rest,
          nextOffset: rest[rest.length - 1]!.ref.offset + 1,
          logEnd: null,
          current: () => !this.stopped,
          heartbeat: async () => {},
          consumed: (upTo) => {
            // The records taken are a prefix of the batch (offsets are per stream: find the record itself).
            const i = rest.findIndex((r) => r.ref === upTo);
            if (i > taken) taken = i;
          },
        });
        handler.tick();
        if (taken < 0) {
          // Nothing taken (a partition lost to another replay, or a stop): the replay cannot go on.
          this.stopped = true;
          break;
        }
        rest = rest.slice(taken + 1);
      }
      if (this.stopped) break;
    }
  }

  pauseAll(): void {
    this.stopped = true;
  }

  async close(): Promise<void> {}
  // A file is read in order: a stream cannot be held back or re-positioned on its own.
  pause(): void {}
  resume(): void {}
  seek(): void {}

  async committed(): Promise<Record<Stream, number>> {
    return { requests: 0, primaries: 0 };
  }

  async commit(): Promise<void> {}

  async logEnds(): Promise<null> {
    return null;
  }

  lastHeartbeat(): null {
    return null;
  }
}
