/**
 * `npm run import:catalog -- FILE...`: reads Backstage `catalog-info.yaml` files (several YAML
 * documents each) into the declared map. Prints what was stored and every refused document or
 * value; exits 1 when something was refused (everything else is still stored).
 */
import { loadConfigOrExit } from '../src/core/config.js';
import { applySchema, createGraph, resolveNeo4j } from '../src/core/neo4j/connection.js';
import { formatCatalogResult, importCatalogFiles } from './catalog/import-files.js';
import { createCatalogStore } from './catalog/store.js';

const files = process.argv.slice(2);
if (files.length === 0 || files.includes('--help')) {
  console.error('usage: npm run import:catalog -- FILE...');
  process.exit(files.length === 0 ? 2 : 0);
}

const config = loadConfigOrExit();
const graph = createGraph(await resolveNeo4j(config.neo4j));
try {
  await applySchema(graph);
  const result = await importCatalogFiles(files, createCatalogStore(graph));
  for (const line of formatCatalogResult(result)) console.log(line);
  process.exitCode = result.problems.length > 0 ? 1 : 0;
} finally {
  await graph.close();
}
