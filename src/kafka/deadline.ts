import { ShadowError } from '../errors.ts';

/** Thrown by withDeadline: the broker (or the client) gave no answer in time. Retryable. */
export class DeadlineExceeded extends ShadowError {
  constructor(what: string, ms: number) {
    super('SHADOW_KAFKA', `${what}: no answer within ${ms} ms`, { retryable: true });
  }
}

/**
 * Bounds a Kafka client call. kafkajs bounds each request, but not every promise it hands out settles:
 * a processor start-up once waited minutes on one with nothing in its log. The late settlement of
 * `p` is swallowed, so a timeout never turns into an unhandled rejection.
 */
export function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  p.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(what, ms)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
