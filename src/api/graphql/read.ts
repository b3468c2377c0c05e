/**
 * The one way resolvers read Neo4j: one statement (an auto-commit read, one round trip) carrying the
 * request's timeout and a label naming the question, so a slow query shows up in Neo4j's query log
 * and is cut off there.
 */
import type { Context } from './context.js';

export async function readRows<T>(
  ctx: Context,
  op: string,
  query: string,
  params: Record<string, unknown>,
): Promise<T[]> {
  const records = await ctx.graph.query('topograph-api', query, params, {
    timeoutMs: ctx.settings.queryTimeoutMs,
    metadata: { op },
  });
  return records.map((r) => r.toObject() as T);
}
