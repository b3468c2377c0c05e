/** Reads that find operations: by service and name, by key, and the samples of traces through them. */
import type { Context } from '../context.js';
import { operationProjection, type OperationRecord } from './projections.js';

export const OPERATION_BY_NAME = `
MATCH (c:Service {name: $service})-[:HAS_OPERATION]->(o:Operation {name: $name})
WHERE ($namespace IS NULL OR c.namespace = $namespace)
  AND ($environment IS NULL OR c.environment = $environment)
  AND ($kind IS NULL OR o.kind = $kind)
RETURN ${operationProjection('o')} AS o
ORDER BY o.lastSeen DESC
LIMIT 1`;

export async function findOperation(
  ctx: Context,
  q: { service: string; name: string; kind: string | null; namespace: string | null; environment: string | null },
): Promise<OperationRecord | null> {
  const [row] = await ctx.reader.rows<{ o: OperationRecord }>('operation', OPERATION_BY_NAME, q);
  return row?.o ?? null;
}

/** An operation the query reached by key; an error if it went away while the query ran. */
export async function loadOperation(ctx: Context, key: string): Promise<OperationRecord> {
  const o = await ctx.loaders.operation.load(key);
  if (!o) throw new Error(`operation ${key} vanished during the query`);
  return o;
}

/** The newest samples that passed through an operation, batched with every other such request. */
export const sampledTraces = (ctx: Context, operationKey: string, first: number, errorsOnly: boolean) =>
  ctx.loaders.traceSamplesOf.load({ key: operationKey, first, errorsOnly });

/** A kept trace by id (ids are stored as lower-case hex, as OTLP decoders produce them). */
export const traceById = (ctx: Context, traceId: string) => ctx.loaders.traceSample.load(traceId.toLowerCase());
