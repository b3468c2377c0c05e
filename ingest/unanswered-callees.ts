/**
 * Callees that never answer: hosts, queues and services reached by client spans that no server span
 * ever pairs with (an uninstrumented third party, a managed service). A client half calling one
 * waited the whole pairing TTL before its call became a fact, held in the pairing buffer and in every
 * checkpoint meanwhile: on the bench's workload, where one span in ten is such a call, those halves
 * were nearly all of the waiting state a checkpoint carried, ~72,000 a flush (docs/benchmarks.md
 * item 176). Once `after` calls to a callee have expired unanswered, and none was
 * seen answered, its next client halves still unanswered when their request has been read expire at
 * the next collect: until then a server half still pairs with one, and after it the late memory
 * (ingest/late-pairs.ts) corrects the call to the real one, so this moves when a call is counted, not
 * what is counted (docs/ingest.md, "Callees that never answer", for the edges of that).
 *
 * An answer is seen when a client half is paired (on time or late) after its callee was derived, at
 * the end of its request: a callee answered once is not expected to stay silent again until the
 * memory starts over, past `maxKeys` callees, as after a restart. Pure.
 */
export class UnansweredCallees {
  /** unanswered expiries by callee key; `ANSWERED` once one of its calls was answered */
  private streaks = new Map<string, number>();

  /** `after`: unanswered expiries before a callee is expected to stay silent (0: never). */
  constructor(
    private readonly after: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** A call to `key` waited the whole pairing TTL, unanswered. */
  expired(key: string): void {
    if (this.after === 0) return;
    const streak = this.streaks.get(key);
    if (streak !== ANSWERED) this.set(key, (streak ?? 0) + 1);
  }

  /** A call to `key` was answered by a server half. */
  answered(key: string): void {
    if (this.after > 0) this.set(key, ANSWERED);
  }

  /** Whether a call to `key` is expected to stay unanswered. */
  silent(key: string): boolean {
    return this.after > 0 && (this.streaks.get(key) ?? 0) >= this.after;
  }

  /** A callee new to a full memory starts it over. */
  private set(key: string, streak: number): void {
    if (!this.streaks.has(key) && this.streaks.size >= this.maxKeys) this.streaks = new Map();
    this.streaks.set(key, streak);
  }
}

const ANSWERED = -1;
