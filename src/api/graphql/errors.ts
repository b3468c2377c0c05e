/**
 * Errors the API shows, each with `extensions.code`; Neo4j failures are mapped here, in one place.
 * Anything else is masked by yoga as an internal error, so no driver message or Cypher leaks out.
 */
import { GraphQLError } from 'graphql';
import { isNeo4jUnavailable } from '../../core/neo4j/connection.js';

export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  DEPTH_LIMIT: 'DEPTH_LIMIT',
  QUERY_TIMEOUT: 'QUERY_TIMEOUT',
  DATABASE_UNAVAILABLE: 'DATABASE_UNAVAILABLE',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  REQUEST_TOO_LARGE: 'REQUEST_TOO_LARGE',
  LENGTH_REQUIRED: 'LENGTH_REQUIRED',
} as const;

export function userError(message: string, code: keyof typeof ErrorCode = 'BAD_USER_INPUT'): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}

/** Neo4j driver errors → GraphQL errors users can act on; undefined for anything else (masked). */
export function mapNeo4jError(error: unknown): GraphQLError | undefined {
  const code = (error as { code?: string })?.code ?? '';
  if (isNeo4jUnavailable(error)) {
    return new GraphQLError('the graph database is unavailable; try again shortly', {
      extensions: { code: ErrorCode.DATABASE_UNAVAILABLE, http: { status: 503 } },
    });
  }
  if (code.includes('TransactionTimedOut') || code.includes('TransactionTimedOutClientConfiguration')) {
    return new GraphQLError('the query took longer than the configured timeout', {
      extensions: { code: ErrorCode.QUERY_TIMEOUT },
    });
  }
  return undefined;
}
