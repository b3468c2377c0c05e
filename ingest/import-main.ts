/**
 * `npm run import -- [--environment NAME] [--rebase-time] FILE...`: imports trace files (OTLP JSON,
 * Tempo responses, Zipkin v2, Jaeger, pdata YAML, Jaeger dependency links) into Neo4j through the
 * ingest engine. Prints one result per file and the import rate; exits 1 when a file was refused.
 */
// First: the engine's heap settings hold before any module allocates.
import './heap-settings.js';
import { loadConfigOrExit } from '../src/core/config.js';
import { fileArgsOrExit } from './cli-args.js';
import { applySchema, createGraph, resolveNeo4j } from '../src/core/neo4j/connection.js';
import { formatResult, importFiles, type ImportProgress } from './import.js';
import { engineOptions } from './engine.js';
import { createNeo4jLinkSink, createNeo4jSink } from './writer.js';

const USAGE = 'usage: npm run import -- [--environment NAME] [--rebase-time] FILE...';

const args = fileArgsOrExit(USAGE, {
  environment: { type: 'string' },
  'rebase-time': { type: 'boolean', default: false },
});

const config = loadConfigOrExit();

const target = await resolveNeo4j(config.neo4j);
const graph = createGraph(target);
await applySchema(graph);

// A progress line rewritten in place, only on a terminal and only for files worth waiting on.
const showProgress = process.stderr.isTTY === true;
const progress = (p: ImportProgress) => {
  if (!showProgress || p.total < 5000) return;
  process.stderr.write(`\r${p.file}: ${p.done}/${p.total} spans (${Math.floor((100 * p.done) / p.total)}%)`);
  if (p.done >= p.total) process.stderr.write('\n');
};

try {
  const result = await importFiles({
    files: args.positionals,
    sink: createNeo4jSink(graph, config.ingest.writer),
    links: createNeo4jLinkSink(graph),
    options: engineOptions(config),
    limits: config.limits.decode,
    environment: args.values.environment,
    rebaseTime: args.values['rebase-time'],
    onProgress: progress,
  });
  for (const r of result.files) for (const line of formatResult(r)) console.log(line);
  console.log(
    `${result.spans} spans from ${result.files.length} files in ${result.seconds.toFixed(2)} s: ` +
      `${Math.round(result.spansPerSecond)} spans/s (Neo4j ${target.uri})`,
  );
  process.exitCode = result.files.some((r) => r.error) ? 1 : 0;
} finally {
  await graph.close();
}
