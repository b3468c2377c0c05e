/**
 * The test suite's local Neo4j keeps its store apart from the one `npm start` shows (docs/development.md):
 * what `npm test` leaves behind must not turn up in a newcomer's map.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultLocalOptions, testLocalOptions } from '../../src/core/neo4j/local-server.js';

const saved = process.env.TOPOGRAPH_LOCAL_NEO4J_BOLT_PORT;
afterEach(() => {
  if (saved === undefined) delete process.env.TOPOGRAPH_LOCAL_NEO4J_BOLT_PORT;
  else process.env.TOPOGRAPH_LOCAL_NEO4J_BOLT_PORT = saved;
});

describe("the tests' local Neo4j", () => {
  it('has a store and ports of its own, on the project server’s jars', () => {
    const project = defaultLocalOptions();
    const tests = testLocalOptions();
    expect(tests.dir).not.toBe(project.dir);
    expect(tests.dir.startsWith(project.dir)).toBe(true);
    expect(tests.boltPort).not.toBe(project.boltPort);
    expect(tests.httpPort).not.toBe(project.httpPort);
    expect(tests.libDir).toBe(join(project.dir, 'lib'));
  });

  it('moves with the project server’s port', () => {
    process.env.TOPOGRAPH_LOCAL_NEO4J_BOLT_PORT = '9687';
    expect(defaultLocalOptions().boltPort).toBe(9687);
    expect(testLocalOptions().boltPort).toBe(9688);
  });
});
