/**
 * Errors a client can act on, each with `extensions.code`, from real Neo4j failures: a transaction
 * that outlives its timeout is QUERY_TIMEOUT; anything unmapped (here: credentials Neo4j refuses) is
 * masked, so neither a driver message nor Cypher reaches the client.
 */
import { GraphQLError } from 'graphql';
import { describe, expect, inject, it } from 'vitest';
import { ErrorCode, mapNeo4jError } from '../../src/api/graphql/errors.js';
import { createGraph } from '../../src/core/neo4j/connection.js';
import { createGql } from '../support/api.js';
import { fileGraph } from '../support/graph.js';

const graph = fileGraph();
describe('Neo4j errors as GraphQL errors', () => {
  it('a read past its transaction timeout maps to QUERY_TIMEOUT', { timeout: 60_000 }, async () => {
    // Long enough to outlive the timeout whatever the server's timeout check interval.
    const slow = 'UNWIND range(1, 2000000000) AS x WITH x WHERE x % 7 = 99 RETURN count(x)';
    const error = await graph
      .read('test', (tx) => tx.run(slow), { timeoutMs: 200 })
      .then(() => undefined)
      .catch((e: unknown) => e);
    expect(error, 'the statement finished within its timeout').toBeDefined();
    const mapped = mapNeo4jError(error);
    expect(mapped).toBeInstanceOf(GraphQLError);
    expect(mapped!.extensions.code).toBe(ErrorCode.QUERY_TIMEOUT);
    expect(mapped!.message).not.toMatch(/UNWIND|range/);
  });

  it('an unmapped failure is masked: a generic message and code, nothing of the driver', async () => {
    const t = inject('neo4j');
    // A user of its own: failed logins lock the user name for a while, never the tests' own user.
    const refused = createGraph({ ...t, user: 'topograph-no-such-user', password: 'not-the-password' });
    try {
      const body = await createGql(refused)('{ services(first: 1) { edges { node { name } } } }');
      expect(body.errors).toHaveLength(1);
      expect(body.errors![0]!.message).toBe('Unexpected error.');
      expect(body.errors![0]!.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      expect(JSON.stringify(body)).not.toMatch(/Neo\.|Unauthorized|authentication|MATCH|topograph-no-such-user/i);
    } finally {
      await refused.close();
    }
  });
});
