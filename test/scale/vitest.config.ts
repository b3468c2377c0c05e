/**
 * `npm run test:scale`: the tests that need the OpenTelemetry Collector built from test/bench/peer
 * (Go), kept out of `npm test`. The same set-up as the suite otherwise.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../../vitest.config.js';

export default mergeConfig(
  base,
  defineConfig({
    root: fileURLToPath(new URL('../..', import.meta.url)),
    test: { include: ['test/scale/**/*.scale.ts'] },
  }),
);
