/** The ingest worker and the API as real processes against the test Neo4j, every port a free one. */
import { neo4jEnv } from './graph.js';
import { freePort, startTs, type Child } from './processes.js';

export interface Stack {
  worker: Child;
  api: Child;
  /** the worker's OTLP/HTTP base URL */
  otlp: string;
  /** the API's GraphQL URL */
  graphql: string;
  stop(): Promise<void>;
}

/** Starts both with `env` (plus a 200 ms flush) and resolves once both listen. */
export async function startWorkerAndApi(env: Record<string, string> = {}): Promise<Stack> {
  const [otlpPort, grpcPort, zipkinPort, apiPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const common = { ...neo4jEnv(), TOPOGRAPH_FLUSH_INTERVAL: '200ms', ...env };
  const worker = await startTs(
    'ingest/main.ts',
    {
      ...common,
      TOPOGRAPH_OTLP_HTTP_PORT: String(otlpPort),
      TOPOGRAPH_OTLP_GRPC_PORT: String(grpcPort),
      TOPOGRAPH_ZIPKIN_PORT: String(zipkinPort),
    },
    /OTLP\/HTTP receiver on/,
  );
  const api = await startTs('src/api/main.ts', { ...common, TOPOGRAPH_API_PORT: String(apiPort) }, /GraphQL API/);
  return {
    worker,
    api,
    otlp: `http://127.0.0.1:${otlpPort}`,
    graphql: `http://127.0.0.1:${apiPort}/graphql`,
    stop: async () => {
      await Promise.all([worker.stop(), api.stop()]);
    },
  };
}
