import { GraphQLError, Kind } from 'graphql';
import { builder } from './builder.js';
import { ErrorCode } from './errors.js';

function parse(value: unknown): Date {
  const date = typeof value === 'string' || typeof value === 'number' ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) {
    throw new GraphQLError(
      `DateTime must be an ISO-8601 string such as 2026-01-31T12:00:00Z, got ${JSON.stringify(value)}`,
      {
        extensions: { code: ErrorCode.BAD_USER_INPUT },
      },
    );
  }
  return date;
}

builder.scalarType('DateTime', {
  description: 'An instant, as an ISO-8601 string in UTC.',
  serialize: (value) => new Date(value).toISOString(),
  parseValue: parse,
  parseLiteral: (ast) =>
    parse(
      ast.kind === Kind.STRING || ast.kind === Kind.INT
        ? ast.kind === Kind.INT
          ? Number(ast.value)
          : ast.value
        : undefined,
    ),
});
