/**
 * What one write statement's parts cost in transaction log: the bench workload through this
 * checkout's engine, a flush a simulated second, every statement written as usual except the one
 * studied, which runs in a transaction of its own in one of several variants, taking turns flush by
 * flush. A variant drops one write from the statement (so its saving is an upper bound on what any
 * cheaper form of that write could save); `cur` is the statement as it is.
 *
 * `npx tsx test/bench/statement-variants.ts <edges|operations|calls|traceSamples|tags> <variant,…> [flushes]`
 * with NEO4J_URI at a Neo4j on this machine that nothing else uses and `NEO4J_TX_LOG_DIR` at its
 * `data/transactions/neo4j` folder (as `writer-ab.ts`). Variants: cur, noBuckets, noRings, noSeen,
 * noRingCall (the minute ring's subquery alone), noExemplars (calls), noInTrace, noInTraceSeen, noPrune (traceSamples); for tags, cur (the tag nodes, then one row per
 * subject) and perRow (the statement before docs/benchmarks.md item 94: a MERGE per tag row). A tool for working on the writer,
 * not part of `npm run bench`.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/core/config.js';
import { applySchema, createGraph, resolveNeo4j } from '../../src/core/neo4j/connection.js';
import { createEngine, engineOptions } from '../../ingest/engine.js';
import { decodeOtlpProtobuf } from '../../ingest/otlp/decode-protobuf.js';
import {
  MERGE_CALLS,
  MERGE_COMPONENT_TAGS,
  MERGE_DEPENDS_ON,
  MERGE_OPERATION_TAGS,
  MERGE_OPERATIONS,
  MERGE_TAG_NODES,
  MERGE_TRACE_SAMPLES,
  subjectTagRows,
  tagNodeRows,
  writeFacts,
} from '../../ingest/writer.js';
import type { FactBatch, TagRow } from '../../ingest/aggregate.js';
import { localNeo4jProcess } from './neo4j-process.js';
import { benchShape, buildTopology, requestsOf } from './workload.js';
import { deleteRun } from './scaled-graph.js';

const STATEMENTS = {
  edges: MERGE_DEPENDS_ON,
  operations: MERGE_OPERATIONS,
  calls: MERGE_CALLS,
  traceSamples: MERGE_TRACE_SAMPLES,
  tags: '',
} as const;

/** The tag statement before item 94, one MERGE per (subject, tag value) row, kept here to measure against. */
const TAGS_PER_ROW = (subject: string) => `
UNWIND $rows AS row
MATCH (s:${subject} {key: row.subject})
MERGE (t:Tag {uid: row.tagUid})
  ON CREATE SET t.key = row.key, t.value = row.value
MERGE (s)-[r:TAGGED]->(t)
  ON CREATE SET r.calls = 0, r.errors = 0
SET r.calls = r.calls + toInteger(row.calls),
    r.errors = r.errors + toInteger(row.errors),
    r.firstSeen = CASE WHEN r.firstSeen IS NULL OR toInteger(row.firstSeen) < r.firstSeen THEN toInteger(row.firstSeen) ELSE r.firstSeen END,
    r.lastSeen = CASE WHEN r.lastSeen IS NULL OR toInteger(row.lastSeen) > r.lastSeen THEN toInteger(row.lastSeen) ELSE r.lastSeen END
WITH t, min(toInteger(row.firstSeen)) AS firstSeen, max(toInteger(row.lastSeen)) AS lastSeen
SET t.firstSeen = CASE WHEN t.firstSeen IS NULL OR firstSeen < t.firstSeen THEN firstSeen ELSE t.firstSeen END,
    t.lastSeen = CASE WHEN t.lastSeen IS NULL OR lastSeen > t.lastSeen THEN lastSeen ELSE t.lastSeen END`;

/** A tags variant: the statements it runs, each with its rows. */
const TAG_VARIANTS: Record<string, (tags: TagRow[]) => [string, unknown[]][]> = {
  cur: (tags) => [
    [MERGE_TAG_NODES, tagNodeRows(tags)],
    [MERGE_COMPONENT_TAGS, subjectTagRows(tags, false)],
    [MERGE_OPERATION_TAGS, subjectTagRows(tags, true)],
  ],
  perRow: (tags) => [
    [TAGS_PER_ROW('Component'), tags.filter((t) => !t.onOperation)],
    [TAGS_PER_ROW('Operation'), tags.filter((t) => t.onOperation)],
  ],
};
type Studied = keyof typeof STATEMENTS;

const [which, names, flushArg] = process.argv.slice(2) as [Studied, string, string | undefined];
if (!(which in STATEMENTS) || !names) throw new Error('usage: statement-variants.ts <statement> <variant,…> [flushes]');
const flushes = Number(flushArg ?? 15);
const v = which === 'operations' ? 'o' : 'r';
const cut = (s: string, re: RegExp, by: string) => {
  const out = s.replace(re, by);
  if (out === s) throw new Error(`${re} is not in the ${which} statement`);
  return out;
};
/** An IN_TRACE link's write in the trace-sample statement, and the times set on it. */
const IN_TRACE_LINK = /(?:MERGE|CREATE) \(x\)-\[in:IN_TRACE\]->\(t\)/;
const IN_TRACE_SEEN = /\n\s*SET \n\s*in\.firstSeen[^\n]*\n\s*in\.lastSeen[^\n]*/;
const VARIANTS: Record<string, (s: string) => string> = {
  cur: (s) => s,
  noBuckets: (s) =>
    cut(s, new RegExp(`${v}\\.latBuckets = \\[held IN [^\\n]*\\]\\[0\\]`), `${v}.latBuckets = ${v}.latBuckets`),
  noRings: (s) => cut(s, new RegExp(`\\nWITH ${v}, row, m\\nCALL[\\s\\S]*$`), ''),
  noRingCall: (s) => cut(s, new RegExp(`\\nWITH ${v}, row, m\\nCALL \\(${v}, row, m\\) \\{[\\s\\S]*?\\n\\}\\n`), '\n'),
  noSeen: (s) => cut(s, new RegExp(`${v}\\.lastSeen = CASE[^\\n]*END`), `${v}.lastSeen = ${v}.lastSeen`),
  noExemplars: (s) => cut(s, /SET r\.exemplars = [^\n]*\n/, 'SET '),
  // The IN_TRACE writes come twice: created on a new sample, merged on a stored one.
  noInTraceSeen: (s) => cut(s, new RegExp(`(${IN_TRACE_LINK.source})${IN_TRACE_SEEN.source}`, 'g'), '$1'),
  // The pruning of each entry operation given a new sample.
  noPrune: (s) => cut(s, /\nWITH o, added WHERE added[\s\S]*$/, ''),
  // A FOREACH over nothing keeps each subquery ending in a write, as Cypher wants.
  noInTrace: (s) =>
    cut(
      s,
      new RegExp(`${IN_TRACE_LINK.source}${IN_TRACE_SEEN.source}`, 'g'),
      'FOREACH (_ IN [] | SET x.unused = null)',
    ),
};
const variants = names.split(',').map((name) => {
  if (which === 'tags') {
    if (!TAG_VARIANTS[name]) throw new Error(`no tags variant ${name}; known: ${Object.keys(TAG_VARIANTS).join(', ')}`);
    return { name, query: '' };
  }
  const make = VARIANTS[name];
  if (!make) throw new Error(`no variant ${name}; known: ${Object.keys(VARIANTS).join(', ')}`);
  return { name, query: make(STATEMENTS[which]) };
});

const config = loadConfig();
const neo4j = localNeo4jProcess(process.env.NEO4J_URI ?? 'bolt://127.0.0.1:7687', process.env.NEO4J_TX_LOG_DIR);
const graph = createGraph(await resolveNeo4j(config.neo4j));
await applySchema(graph);
const runId = `${randomBytes(3).toString('hex')}v`;
const env = `bench-${runId}`;
let clock = Date.now();
const engine = createEngine(engineOptions(config));
const requests = requestsOf(buildTopology(benchShape(runId, env)), 8, clock, 500);
const WARM_UP = 2;
const kib: Record<string, number[]> = {};
try {
  for (let f = 0; f < flushes; f++) {
    clock += 1000;
    for (let r = 0; r < 40; r++) {
      const decoded = decodeOtlpProtobuf(requests.next().value!.body, config.limits.decode);
      // Trace ids of this run only: trace samples are keyed by trace id alone, and the workload's are seeded.
      for (const rs of decoded.batch)
        for (const ss of rs.scopeSpans) for (const sp of ss.spans) sp.traceId = runId + sp.traceId.slice(runId.length);
      engine.ingest(decoded, clock);
    }
    const batch: FactBatch = engine.collect(clock);
    const rows = batch[which];
    await graph.write('topograph-bench', (tx) => writeFacts(tx, { ...batch, [which]: [] }, config.ingest.writer));
    const { name, query } = variants[f % variants.length]!;
    const [log0, cpu0] = [neo4j.txLogEnd(), neo4j.cpuSeconds()];
    const statements: [string, unknown[]][] = which === 'tags' ? TAG_VARIANTS[name]!(batch.tags) : [[query, rows]];
    await graph.write('topograph-bench', async (tx) => {
      for (const [q, r] of statements)
        await tx.run(q, {
          rows: r,
          maxExemplars: config.ingest.writer.exemplarsPerEdge,
          maxPerOperation: config.ingest.writer.traceSamplesPerOperation,
          maxAgeMs: config.ingest.writer.traceSampleMaxAgeMs,
        });
    });
    const k = neo4j.txLogBytes(log0, neo4j.txLogEnd()) / 1024;
    if (f >= WARM_UP) (kib[name] ??= []).push(Math.round(k));
    console.log(
      `${f} ${name}: ${rows.length} rows, ${k.toFixed(0)} KiB log, ${((neo4j.cpuSeconds() - cpu0) * 1000).toFixed(0)} ms CPU`,
    );
  }
  console.log('KiB of log per flush, after warm-up:', kib);
} finally {
  await deleteRun(graph, env, runId);
  await graph.close();
}
