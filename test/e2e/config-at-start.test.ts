/**
 * Configuration is checked when a process starts: a bad environment stops it before it connects
 * anywhere, with every problem printed at once (test/unit/config.test.ts checks loadConfig itself).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { ROOT } from '../support/processes.js';

const BAD = {
  NEO4J_URI: 'not a url',
  TOPOGRAPH_API_PORT: '70000',
  TOPOGRAPH_OTLP_GRPC_PORT: 'grpc',
  TOPOGRAPH_FLUSH_INTERVAL: 'soon',
  TOPOGRAPH_LOG_LEVEL: 'loud',
  TOPOGRAPH_GRAPHIQL: 'maybe',
};

describe('configuration', () => {
  it('gives the receivers their usual ports, empty variables counting as unset', () => {
    const c = loadConfig({ TOPOGRAPH_API_PORT: '' });
    expect([c.apiPort, c.otlpHttpPort, c.otlpGrpcPort, c.zipkinPort]).toEqual([4000, 4318, 4317, 9411]);
  });

  it.each(['ingest/main.ts', 'src/api/main.ts'])(
    '%s refuses to start with exit code 2 and every problem printed',
    (file) => {
      const run = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, file)], {
        env: { PATH: process.env.PATH, ...BAD },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(run.status).toBe(2);
      for (const key of Object.keys(BAD)) expect(run.stderr).toContain(key);
    },
  );
});
