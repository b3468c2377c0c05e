/** The ingest worker and the API as real processes against the test Neo4j, every port a free one. */
import { neo4jEnv } from './graph.js';
import { startTopograph, type Topograph } from './processes.js';

export interface Stack extends Topograph {
  /** the worker's OTLP/HTTP base URL */
  otlp: string;
}

/** Starts both with `env` (plus a 200 ms flush) and resolves once both listen. */
export async function startWorkerAndApi(env: Record<string, string> = {}): Promise<Stack> {
  const topograph = await startTopograph({ ...neo4jEnv(), TOPOGRAPH_FLUSH_INTERVAL: '200ms', ...env });
  return { ...topograph, otlp: `http://127.0.0.1:${topograph.ports.otlpHttp}` };
}
