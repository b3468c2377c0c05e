import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

/**
 * Three layers, each runnable alone: `unit` (no Neo4j, no child processes that need it: fast),
 * `integration` (the real Neo4j, in-process) and `e2e` (real processes, SDK exporters, a browser).
 * `npm test` runs all three; `npm run test:unit` / `test:integration` / `test:e2e` one of them.
 * `npm run test:corpus -- DIR` adds `corpus`: the same code against an external trace corpus;
 * `npm run test:scale` runs `scale` alone: two workers behind the real OpenTelemetry Collector;
 * `npm run test:backstage` runs `backstage` alone: the catalog poller against a real Backstage backend.
 */
const layer = (name: string, withNeo4j: boolean, files = '**/*.test.ts'): TestProjectInlineConfiguration => ({
  extends: true,
  test: {
    name,
    include: [`test/${name}/${files}`],
    // Starts the local Neo4j when NEO4J_URI is unset and hands its address to every test file.
    globalSetup: withNeo4j ? ['test/support/global-setup.ts'] : [],
  },
});

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS (main) and ESM (module); Node loads the CJS one for yoga and Pothos, so the
    // tests must too, or two GraphQLError classes exist and user errors look like internal ones.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    projects: [
      layer('unit', false),
      layer('integration', true),
      layer('e2e', true),
      // The extra conformance run against an external corpus: only with `npm run test:corpus -- DIR`.
      ...(process.env.TOPOGRAPH_CORPUS ? [layer('corpus', true)] : []),
      // Two workers behind the real OpenTelemetry Collector (built from test/bench/peer with Go): only with `npm run test:scale`.
      ...(process.env.TOPOGRAPH_SCALE ? [layer('scale', true, '**/*.scale.ts')] : []),
      // The REST poller against a real Backstage catalog backend (test/backstage-harness, installed apart): only with `npm run test:backstage`.
      ...(process.env.TOPOGRAPH_BACKSTAGE_TESTS ? [layer('backstage', true)] : []),
    ],
  },
});
