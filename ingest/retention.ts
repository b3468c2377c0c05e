/**
 * The retention job: what stopped happening ages out. Nodes and relationships whose `lastSeen` is
 * older than the retention are deleted, in bounded batches (one short transaction each), so the job
 * never holds large locks against the writer or grows a transaction without bound.
 */
import type { Graph } from '../src/core/neo4j/connection.js';
import type { Logger } from '../src/core/logger.js';
import { PRUNE_PRESENCE } from './presence.js';
import { DELETE_STALE_LATE_SEGMENTS } from './spool/checkpoint-store.js';

/** Relationships first, per type so each uses its own lastSeen index, then nodes (with what still hangs off them). */
export const DELETE_STALE_RELATIONSHIPS = (
  type: 'DEPENDS_ON' | 'CALLS' | 'USES' | 'TAGGED' | 'DEPENDS_ON_VERSION' | 'CALLS_VERSION',
) => `
MATCH ()-[r:${type}]->()
WHERE r.lastSeen < $cutoff
WITH r LIMIT toInteger($batch)
DELETE r
RETURN count(*) AS deleted`;

export const DELETE_STALE_NODES = (
  label: 'Component' | 'Operation' | 'Library' | 'Tag' | 'TraceSample' | 'ServiceVersion',
) => `
MATCH (n:${label})
WHERE n.lastSeen < $cutoff
WITH n LIMIT toInteger($batch)
DETACH DELETE n
RETURN count(*) AS deleted`;

const STEPS = [
  DELETE_STALE_RELATIONSHIPS('DEPENDS_ON'),
  DELETE_STALE_RELATIONSHIPS('CALLS'),
  DELETE_STALE_RELATIONSHIPS('USES'),
  DELETE_STALE_RELATIONSHIPS('TAGGED'),
  // Versions of edges and services (ingest/versions.ts): few per edge, read without an index.
  DELETE_STALE_RELATIONSHIPS('DEPENDS_ON_VERSION'),
  DELETE_STALE_RELATIONSHIPS('CALLS_VERSION'),
  DELETE_STALE_NODES('ServiceVersion'),
  // Sampled traces first: once their operations are gone nothing else would reach them.
  DELETE_STALE_NODES('TraceSample'),
  DELETE_STALE_NODES('Operation'),
  DELETE_STALE_NODES('Component'),
  DELETE_STALE_NODES('Library'),
  DELETE_STALE_NODES('Tag'),
  // What is kept loses its hours of presence older than the retention (ingest/presence.ts).
  PRUNE_PRESENCE('DEPENDS_ON'),
  PRUNE_PRESENCE('Component'),
  // Late halves a checkpoint no worker has written within the retention still holds.
  DELETE_STALE_LATE_SEGMENTS,
];

export interface RetentionDeps {
  graph: Graph;
  retentionMs: number;
  intervalMs: number;
  /** rows deleted per transaction */
  batchSize?: number;
  log?: Logger;
  now?: () => number;
}

export interface RetentionJob {
  /** One full pass: deletes everything last seen before now − retention; resolves with the count. */
  runOnce(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

export function createRetentionJob(deps: RetentionDeps): RetentionJob {
  const now = deps.now ?? Date.now;
  const batch = deps.batchSize ?? 5000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;

  async function pass(): Promise<number> {
    const cutoff = now() - deps.retentionMs;
    let total = 0;
    for (const query of STEPS) {
      for (;;) {
        const deleted = await deps.graph.write(
          'topograph-retention',
          async (tx) => Number((await tx.run(query, { cutoff, batch })).records[0]?.get('deleted') ?? 0),
          { metadata: { op: 'retention' } },
        );
        total += deleted;
        if (deleted < batch) break;
      }
    }
    if (total > 0)
      deps.log?.info(
        { deleted: total, cutoff: new Date(cutoff).toISOString() },
        'retention: removed what was not seen within the retention',
      );
    return total;
  }

  const runOnce = () => {
    running ??= pass().finally(() => {
      running = undefined;
    });
    return running;
  };

  return {
    runOnce,
    start() {
      timer = setInterval(() => {
        runOnce().catch((error: unknown) =>
          deps.log?.error({ err: error }, 'retention pass failed; retrying at the next interval'),
        );
      }, deps.intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
