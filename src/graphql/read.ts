/**
 * The one way resolvers read Neo4j: a managed read transaction carrying the request's timeout and a
 * label naming the question, so a slow query shows up in Neo4j's query log and is cut off there.
 */
import type { Context } from './context.js';

export async function readRows<T>(
  ctx: Context,
  op: string,
  query: string,
  params: Record<string, unknown>,
): Promise<T[]> {
  return ctx.graph.read(
    'topograph-api',
    async (tx) => (await tx.run(query, params)).records.map((r) => r.toObject() as T),
    { timeoutMs: ctx.settings.queryTimeoutMs, metadata: { op } },
  );
}
