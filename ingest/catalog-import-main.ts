/**
 * `npm run import:catalog -- [--environment NAME] FILE...`: reads Backstage `catalog-info.yaml` files
 * (several YAML documents each) into the declared map of one environment (default: every one). Prints what was stored and every refused document or
 * value; exits 1 when something was refused (everything else is still stored).
 */
import { loadConfigOrExit } from '../src/core/config.js';
import { fileArgsOrExit } from './cli-args.js';
import { applySchema, createGraph, resolveNeo4j } from '../src/core/neo4j/connection.js';
import { formatCatalogResult, importCatalogFiles } from './catalog/import-files.js';
import { createCatalogStore } from './catalog/store.js';

const USAGE = 'usage: npm run import:catalog -- [--environment NAME] FILE...';

const args = fileArgsOrExit(USAGE, { environment: { type: 'string' } });

const config = loadConfigOrExit();
const graph = createGraph(await resolveNeo4j(config.neo4j));
try {
  await applySchema(graph);
  const result = await importCatalogFiles(args.positionals, createCatalogStore(graph), args.values.environment ?? '');
  for (const line of formatCatalogResult(result)) console.log(line);
  process.exitCode = result.problems.length > 0 ? 1 : 0;
} finally {
  await graph.close();
}
