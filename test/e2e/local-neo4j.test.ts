/**
 * The project-managed local Neo4j (src/core/neo4j/local-server.ts), as `npm start` uses it, started
 * again while the previous one is still shutting down (`npm start` right after Ctrl-C): the start
 * waits for the old server to be gone and then starts a new one that answers, and the old stop
 * leaves the new server alone. A private server on its own ports and folder, never the shared one.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createGraph } from '../../src/core/neo4j/connection.js';
import {
  defaultLocalOptions,
  ensureLocalNeo4j,
  fetchServer,
  localStatus,
  stopLocalNeo4j,
  type LocalNeo4jOptions,
} from '../../src/core/neo4j/local-server.js';
import { isAlive } from '../../src/core/process-alive.js';
import { freePort } from '../support/processes.js';

let options: LocalNeo4jOptions | undefined;

afterAll(async () => {
  if (!options) return;
  await stopLocalNeo4j(options);
  rmSync(options.dir, { recursive: true, force: true });
});

describe('local Neo4j', () => {
  it('started while the last one is still stopping, waits for it and starts anew', { timeout: 300_000 }, async () => {
    const shared = defaultLocalOptions();
    fetchServer(shared);
    const logged: string[] = [];
    options = defaultLocalOptions({
      dir: mkdtempSync(join(tmpdir(), 'topograph-neo4j-restart-')),
      // The jars the project's server was started from: no second Maven fetch.
      libDir: join(shared.dir, 'lib'),
      boltPort: await freePort(),
      httpPort: await freePort(),
      heap: '512m',
      pageCache: '64m',
      log: (message) => logged.push(message),
    });
    const first = await ensureLocalNeo4j(options);
    expect(first.started).toBe(true);

    // Ctrl-C's stop, not waited for: the next start comes while the server is shutting down.
    const stopping = stopLocalNeo4j(options);
    expect(isAlive(first.pid)).toBe(true);
    const second = await ensureLocalNeo4j(options);
    expect(isAlive(first.pid)).toBe(false);
    expect(second.started).toBe(true);
    expect(second.pid).not.toBe(first.pid);
    expect(logged.join('\n')).toContain(`waiting for the Neo4j being stopped (pid ${first.pid}) to exit`);
    expect(await stopping).toBe(true);

    // The old stop, finishing after the new start, left the new server and its pid file alone.
    expect(localStatus(options)).toEqual({ running: true, pid: second.pid });
    expect(existsSync(join(options.dir, 'stopping'))).toBe(false);
    const graph = createGraph({ uri: second.uri, user: second.user, password: second.password, database: 'neo4j' });
    try {
      const answer = await graph.driver.executeQuery('RETURN 1 AS one', {}, { database: 'neo4j' });
      expect(Number(answer.records[0]!.get('one'))).toBe(1);
    } finally {
      await graph.driver.close();
    }
  });
});
