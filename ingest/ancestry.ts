/**
 * The ancestry index (ingest/callers.ts): every span remembered for a while, to find the entry
 * operation above a client span and the service above an orphan. Kept by trace, then by span id:
 * one map of ~300,000-400,000 ids joined as `traceId + spanId` cost a 48-character string per span
 * and per lookup, and its insertion was the engine's costliest line (docs/benchmarks.md). The trace
 * and span ids are the decoder's strings, a trace id shared by the spans of a trace in a request.
 *
 * Traces are kept in the order of their newest span (a trace moves to the end when a span of it
 * arrives after another trace's), so expiry scans from the front and stops early: a trace goes
 * once its newest span is older than the deadline, its other spans with it (a span is remembered
 * at least as long as before, longer while its trace is still busy). Past `max` spans, the oldest
 * spans of the oldest trace go early, one by one, and are counted.
 */

/** What the index needs of an entry: when it arrived, and the input it came from. */
export interface Remembered {
  /** a small integer clock (ms since the engine began) */
  arrived: number;
  source: number;
}

interface TraceSpans<A> {
  spans: Map<string, A>;
  /** the newest arrival among them */
  last: number;
  /** the input the oldest of them came from (inputs are numbered in increasing order) */
  source: number;
}

export class AncestryIndex<A extends Remembered> {
  private traces = new Map<string, TraceSpans<A>>();
  /** the last trace in `traces` */
  private newest: TraceSpans<A> | undefined;
  private count = 0;
  evicted = 0;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.count;
  }

  get(traceId: string, spanId: string): A | undefined {
    return this.traces.get(traceId)?.spans.get(spanId);
  }

  /** Remembers a span (a repeated one moves to the end, so each trace's spans stay in arrival order). */
  remember(traceId: string, spanId: string, a: A): void {
    let trace = this.traces.get(traceId);
    if (trace === undefined)
      this.traces.set(traceId, (trace = { spans: new Map(), last: a.arrived, source: a.source }));
    else if (trace !== this.newest) {
      // Once per trace and request, not per span: a trace's spans arrive together.
      this.traces.delete(traceId);
      this.traces.set(traceId, trace);
    }
    this.newest = trace;
    trace.last = a.arrived;
    const { spans } = trace;
    const size = spans.size;
    spans.set(spanId, a);
    if (spans.size === size) {
      spans.delete(spanId);
      spans.set(spanId, a);
    } else this.count++;
    while (this.count > this.max) this.evictOldest();
  }

  /** Forgets every trace whose newest span arrived at or before `deadline`. */
  expire(deadline: number): void {
    for (const [traceId, trace] of this.traces) {
      if (trace.last > deadline) break;
      this.drop(traceId, trace);
    }
  }

  /** The input the oldest span held came from (Infinity when none). */
  oldestSource(): number {
    let oldest = Number.POSITIVE_INFINITY;
    for (const trace of this.traces.values()) if (trace.source < oldest) oldest = trace.source;
    return oldest;
  }

  private evictOldest(): void {
    const first = this.traces.entries().next();
    if (first.done) return;
    const [traceId, trace] = first.value;
    trace.spans.delete(trace.spans.keys().next().value!);
    this.count--;
    this.evicted++;
    if (trace.spans.size === 0) this.drop(traceId, trace);
  }

  private drop(traceId: string, trace: TraceSpans<A>): void {
    this.traces.delete(traceId);
    this.count -= trace.spans.size;
    trace.spans.clear();
    if (trace === this.newest) this.newest = undefined;
  }
}
