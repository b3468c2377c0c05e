/** The real worker (`ingest/main.ts`) as a child process on a spool of the test's choosing, against the test database. */
import { neo4jEnv } from './graph.js';
import { startTs, type Child } from './processes.js';

export function startIngestWorker(
  port: number,
  spoolDir: string,
  extra: Record<string, string> = {},
  readyWhen = /OTLP\/HTTP receiver on/,
): Promise<Child> {
  return startTs(
    'ingest/main.ts',
    {
      ...neo4jEnv(),
      TOPOGRAPH_OTLP_HTTP_PORT: String(port),
      TOPOGRAPH_OTLP_GRPC_PORT: '0',
      TOPOGRAPH_ZIPKIN_PORT: '0',
      TOPOGRAPH_SPOOL_DIR: spoolDir,
      TOPOGRAPH_FLUSH_INTERVAL: '200ms',
      // Long enough that no half expires while its other half waits out a restart.
      TOPOGRAPH_PAIRING_TTL: '5m',
      TOPOGRAPH_LOG_LEVEL: 'info',
      ...extra,
    },
    readyWhen,
  );
}
