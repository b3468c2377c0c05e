/**
 * The one retry loop: every place that tries again after a failure (a Neo4j read, the schema at
 * start, the ingest checkpoint's load and commit) goes through `retry`, with exponential back-off.
 */

export interface RetryOptions {
  /** the wait after the first failure; each further failure doubles it */
  firstDelayMs: number;
  /** the longest wait between two attempts */
  maxDelayMs: number;
  /**
   * Asked after each failure (`attempt` counts them from 1): false gives up and rethrows the error.
   * Called before the wait, so it is also where a failure is logged or counted.
   */
  shouldRetry?(error: unknown, attempt: number): boolean;
  /** the waiting (tests may pass one that returns at once) */
  sleep?(ms: number): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The wait after failure number `attempt` (from 1): first, doubled each time, capped. */
export const backoffMs = (attempt: number, o: Pick<RetryOptions, 'firstDelayMs' | 'maxDelayMs'>): number =>
  Math.min(o.maxDelayMs, o.firstDelayMs * 2 ** Math.min(attempt - 1, 30));

/** Runs `work` until it resolves or `shouldRetry` says no; the attempt number (from 1) is passed in. */
export async function retry<T>(work: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work(attempt);
    } catch (error) {
      if (options.shouldRetry && !options.shouldRetry(error, attempt)) throw error;
      await (options.sleep ?? sleep)(backoffMs(attempt, options));
    }
  }
}
