/**
 * Callees that never answer: hosts, queues and services reached by client spans that no server span
 * ever pairs with (an uninstrumented third party, a managed service). A client half calling one
 * waited the whole pairing TTL before its call became a fact, held in the pairing buffer and in every
 * checkpoint meanwhile: on the bench's workload, where one span in ten is such a call, those halves
 * were nearly all of what a checkpoint carried and a tenth of the worker's CPU
 * (docs/benchmarks.md item 176). Once a callee's calls have expired unanswered `after` times in a row,
 * its next client halves expire at the end of their request instead, as a full buffer's oldest do:
 * the late memory (ingest/late-pairs.ts) still corrects the call if a server half comes after all, so
 * this moves when a call is counted, never what is counted.
 *
 * A callee whose call is answered once (paired, on time or late) is not expected again until the
 * memory starts over: past `maxKeys` callees it forgets them all, as a restart does. Pure.
 */
export class UnansweredCallees {
  /** expiries in a row by callee key; `ANSWERED` once one of its calls was answered */
  private streaks = new Map<string, number>();

  /** `after`: expiries in a row before a callee is expected to stay silent (0: never). */
  constructor(
    private readonly after: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** A call to `key` waited the whole pairing TTL, unanswered. */
  expired(key: string): void {
    if (this.after === 0) return;
    const streak = this.streaks.get(key);
    if (streak === ANSWERED) return;
    if (streak === undefined && this.streaks.size >= this.maxKeys) this.streaks = new Map();
    this.streaks.set(key, (streak ?? 0) + 1);
  }

  /** A call to `key` was answered by a server half. */
  answered(key: string): void {
    if (this.after === 0) return;
    if (!this.streaks.has(key) && this.streaks.size >= this.maxKeys) this.streaks = new Map();
    this.streaks.set(key, ANSWERED);
  }

  /** Whether a call to `key` is expected to stay unanswered. */
  silent(key: string): boolean {
    return this.after > 0 && (this.streaks.get(key) ?? 0) >= this.after;
  }
}

const ANSWERED = -1;
