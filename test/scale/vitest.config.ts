/**
 * `npm run test:scale`: the tests that need the OpenTelemetry Collector built from test/bench/peer
 * (Go), kept out of `npm test`. The suite's set-up otherwise; only the files differ.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.js';

export default defineConfig({
  ...base,
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: { ...base.test, include: ['test/scale/**/*.scale.ts'] },
});
