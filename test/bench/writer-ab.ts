/**
 * Neo4j's cost per flush for two (or more) checkouts' writers side by side: each checkout's engine
 * and `writeFacts` are fed the same bench workload (20,000 spans per simulated second, a flush per
 * second) under trace ids of their own, into their own environment of one Neo4j, taking turns flush
 * by flush. Per flush:
 * rows, the Neo4j process's CPU (user + system from /proc), the bytes it appended to its transaction
 * log and wrote to storage (`write_bytes` of /proc/<pid>/io), and the wall time; at the end the db
 * hits of each statement of one steady-state flush (PROFILE, the second such flush: plans cached).
 *
 * `npx tsx test/bench/writer-ab.ts <checkout A> <checkout B> [more checkouts] [flushes]` with NEO4J_URI pointing at a
 * Neo4j on this machine that nothing else uses (its CPU is read whole) and `NEO4J_TX_LOG_DIR` at its
 * `data/transactions/neo4j` folder (optional). A tool for working on the writer, not part of `npm run bench`;
 * a checkout is a directory holding `ingest/`, `src/` and `schema/`.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { localNeo4jProcess } from './neo4j-process.js';
import { statementName } from './statement-name.js';
import { benchShape, buildTopology, requestsOf } from './workload.js';
import { deleteRun } from './scaled-graph.js';

const args = process.argv.slice(2);
const dirs = args.filter((a) => !/^\d+$/.test(a)).map((d) => resolve(d));
const flushes = Number(args.find((a) => /^\d+$/.test(a)) ?? 20);
const WARM_UP = 3;
const REQUESTS_PER_FLUSH = 40; // ~500 spans each: 20,000 spans per simulated second
const uri = process.env.NEO4J_URI ?? 'bolt://127.0.0.1:7687';
const neo4j = localNeo4jProcess(uri, process.env.NEO4J_TX_LOG_DIR);

interface Tx {
  run(q: string, p: Record<string, unknown>): Promise<{ summary: { profile: Plan | false } }>;
}
interface Plan {
  dbHits: number;
  children: Plan[];
}
const dbHits = (p: Plan): number => p.dbHits + p.children.reduce((n, c) => n + dbHits(c), 0);

interface Side {
  name: string;
  env: string;
  runId: string;
  graph: {
    write<T>(app: string, work: (tx: Tx) => Promise<T>): Promise<T>;
    close(): Promise<void>;
  } & Parameters<typeof deleteRun>[0];
  engine: { ingest(d: unknown, now: number): void; collect(now: number): Record<string, unknown[]> };
  decode(body: Uint8Array): { batch: { scopeSpans: { spans: { traceId: string }[] }[] }[] };
  write(tx: Tx, batch: unknown): Promise<void>;
  requests: Generator<{ body: Uint8Array; spans: number }>;
  figures: { rows: number; cpuMs: number; logBytes: number; ioBytes: number; wallMs: number; spans: number }[];
}

const sides: Side[] = [];
let clock = Date.now();
for (const [i, dir] of dirs.entries()) {
  const { loadConfig } = await import(`${dir}/src/core/config.ts`);
  const { createGraph, applySchema, resolveNeo4j } = await import(`${dir}/src/core/neo4j/connection.ts`);
  const { createEngine, engineOptions } = await import(`${dir}/ingest/engine.ts`);
  // Where the engine's options were read from the config before they moved to the engine.
  const options = engineOptions ?? (await import(`${dir}/ingest/worker.ts`)).pipelineOptions;
  const { decodeOtlpProtobuf } = await import(`${dir}/ingest/otlp/decode-protobuf.ts`);
  const { writeFacts } = await import(`${dir}/ingest/writer.ts`);
  const config = loadConfig();
  const graph = createGraph(await resolveNeo4j(config.neo4j));
  await applySchema(graph);
  const runId = `${randomBytes(3).toString('hex')}${i}`;
  const env = `bench-${runId}`;
  sides.push({
    name: dir,
    env,
    runId,
    graph,
    engine: createEngine(options(config)),
    decode: (body) => decodeOtlpProtobuf(body, config.limits.decode),
    write: (tx, batch) => writeFacts(tx, batch, config.ingest.writer),
    // The same seed on both sides: the same traces, under each side's own names.
    requests: requestsOf(buildTopology(benchShape(runId, env)), 8, clock, 500),
    figures: [],
  });
}

/**
 * One flush of the next 40 requests. With `breakdown`, each statement runs in its own transaction,
 * one after the other, under PROFILE: its db hits, Neo4j CPU and transaction-log bytes.
 */
async function flush(side: Side, breakdown = false): Promise<Record<string, string> | undefined> {
  let spans = 0;
  for (let r = 0; r < REQUESTS_PER_FLUSH; r++) {
    const req = side.requests.next().value!;
    const decoded = side.decode(req.body);
    // Trace ids of this side and run only: trace samples are keyed by trace id alone, and the workload's are seeded.
    for (const rs of decoded.batch)
      for (const ss of rs.scopeSpans)
        for (const sp of ss.spans) sp.traceId = side.runId + sp.traceId.slice(side.runId.length);
    side.engine.ingest(decoded, clock);
    spans += req.spans;
  }
  const batch = side.engine.collect(clock);
  const rows = Object.values(batch).reduce((n, v) => n + v.length, 0);
  const [cpu0, log0, io0, t0] = [neo4j.cpuSeconds(), neo4j.txLogEnd(), neo4j.writeBytes(), performance.now()];
  const statements: Record<string, string> = {};
  if (breakdown) {
    let chain = Promise.resolve();
    const one = async (q: string, p: Record<string, unknown>) => {
      const [c0, l0] = [neo4j.cpuSeconds(), neo4j.txLogEnd()];
      const result = await side.graph.write('topograph-bench', (tx) => tx.run(`PROFILE ${q}`, p));
      statements[statementName(q, (p.rows as unknown[]).length)] =
        `${dbHits(result.summary.profile as Plan)} db hits, ${((neo4j.cpuSeconds() - c0) * 1000).toFixed(0)} ms CPU, ` +
        `${(neo4j.txLogBytes(l0, neo4j.txLogEnd()) / 1024).toFixed(0)} KiB log`;
      return result;
    };
    await side.write(
      {
        run: (q, p) => {
          const next = chain.then(() => one(q, p));
          chain = next.then(() => undefined);
          return next;
        },
      },
      batch,
    );
  } else await side.graph.write('topograph-bench', (tx) => side.write(tx, batch));
  const wallMs = performance.now() - t0;
  // The transaction log is appended at commit; the page cache is flushed to storage at checkpoints.
  side.figures.push({
    rows,
    spans,
    wallMs,
    cpuMs: (neo4j.cpuSeconds() - cpu0) * 1000,
    logBytes: neo4j.txLogBytes(log0, neo4j.txLogEnd()),
    ioBytes: neo4j.writeBytes() - io0,
  });
  return breakdown ? statements : undefined;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
try {
  for (let f = 0; f < flushes; f++) {
    clock += 1000;
    for (const side of f % 2 === 0 ? sides : [...sides].reverse()) await flush(side);
  }
  // Twice: the first PROFILE of a statement text plans it, and its CPU would count the planning.
  const profiles = [];
  for (const pass of [0, 1]) {
    clock += 1000;
    for (const side of sides) {
      const statements = await flush(side, true);
      if (pass === 1) profiles.push(statements);
    }
  }
  console.log(`load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  for (const [i, side] of sides.entries()) {
    const settled = side.figures.slice(WARM_UP, flushes);
    const spans = settled.reduce((n, x) => n + x.spans, 0);
    const sum = (k: keyof Side['figures'][number]) => settled.reduce((n, x) => n + x[k], 0);
    console.log(
      `${side.name}: ${settled.length} flushes after ${WARM_UP} warm-up; rows/flush ${median(settled.map((x) => x.rows))}; ` +
        `Neo4j CPU µs/span ${((sum('cpuMs') * 1000) / spans).toFixed(1)} (per flush median ${median(settled.map((x) => x.cpuMs)).toFixed(0)} ms); ` +
        `tx log bytes/flush median ${median(settled.map((x) => x.logBytes))} (${(sum('logBytes') / spans).toFixed(0)}/span); ` +
        `write_bytes/span ${(sum('ioBytes') / spans).toFixed(0)}; wall ms/flush median ${median(settled.map((x) => x.wallMs)).toFixed(0)}`,
    );
    console.log(`  CPU ms per flush: ${settled.map((x) => x.cpuMs.toFixed(0)).join(' ')}`);
    console.log(`  one steady flush, each statement in its own transaction:`, profiles[i]);
  }
} finally {
  for (const side of sides) {
    await deleteRun(side.graph, side.env, side.runId);
    await side.graph.close();
  }
}
