/** A FactSink that keeps what the engine hands back, for unit tests of derivation and pairing (no database). */
import { emptyFactBatch, factCount, type FactBatch } from '../../ingest/aggregate.js';
import { createEngine, engineOptions, type Engine, type EngineOptions } from '../../ingest/engine.js';
import type { DecodedBatch } from '../../ingest/span.js';
import type { FactSink } from '../../ingest/writer.js';
import { defaultConfig } from '../../src/core/config.js';

export interface Captured extends FactSink {
  all: FactBatch;
  /** `from -> to` → calls, summed over minutes, with component keys shortened to their names */
  edges(): Record<string, { calls: number; errors: number }>;
  /** `fromOp -> toOp` (operation names) → calls */
  calls(): Record<string, number>;
}

const nameOf = (key: string): string => {
  const parts = JSON.parse(key) as string[];
  return parts[parts.length - 1]!;
};

export function captureSink(): Captured {
  const all = emptyFactBatch();
  const sink: Captured = {
    all,
    async write(b) {
      for (const k of Object.keys(b) as (keyof FactBatch)[]) (all[k] as unknown[]).push(...b[k]);
    },
    edges() {
      const out: Record<string, { calls: number; errors: number }> = {};
      for (const e of all.edges) {
        const k = `${nameOf(e.from)} -> ${nameOf(e.to)}`;
        const v = (out[k] ??= { calls: 0, errors: 0 });
        v.calls += e.calls;
        v.errors += e.errors;
      }
      return out;
    },
    calls() {
      const ops = new Map(all.operations.map((o) => [o.key, `${nameOf(o.componentKey)}:${o.name}`]));
      const out: Record<string, number> = {};
      for (const c of all.calls) {
        const k = `${ops.get(c.from) ?? c.from} -> ${ops.get(c.to) ?? c.to}`;
        out[k] = (out[k] ?? 0) + c.calls;
      }
      return out;
    },
  };
  return sink;
}

/**
 * The engine driven as an import drives it: each step at the time `now` gives, its facts written to
 * `sink` (when there are any). `flush` collects (expiring what waited past the TTL), `drainAll` expires
 * everything.
 */
export function driveEngine(engine: Engine, sink: FactSink, now: () => number = Date.now) {
  const write = async (batch: FactBatch) => {
    if (factCount(batch) > 0) await sink.write(batch);
    return batch;
  };
  return {
    pairing: engine.pairing,
    stats: () => engine.stats(),
    ingest: (decoded: DecodedBatch) => engine.ingest(decoded, now()),
    flush: () => write(engine.collect(now())),
    drainAll: () => write(engine.drain(now())),
  };
}

/** An engine with the default configuration (overridable) writing into a capture sink, on a clock the test moves. */
export function capturePipeline(overrides: Partial<EngineOptions> = {}) {
  const sink = captureSink();
  const clock = { now: 1_700_000_000_000 };
  const engine = createEngine({ ...engineOptions(defaultConfig()), ...overrides });
  return { sink, clock, pipeline: driveEngine(engine, sink, () => clock.now) };
}
