/**
 * Two workers behind the real OpenTelemetry Collector's loadbalancing exporter (`routing_key:
 * traceID`, as deploy/otel-collector-loadbalancing.yaml runs it): the Collector, built from
 * test/bench/peer, takes every request and sends each trace to one worker over OTLP/gRPC. One
 * worker is killed with SIGKILL mid-load and restarted on its spool; the Collector retries what that
 * worker did not acknowledge. The graph must hold exactly the calls and errors sent.
 *
 * The sender pauses around the kill (the Collector then has no export in flight): a request whose
 * answer is lost after the spool took it would be sent again and counted twice (OTLP is at-least-once).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Graph } from '../../src/core/neo4j/connection.js';
import { ensureCollector, startCollector, type RunningCollector } from '../bench/peer/collector.js';
import { neo4jEnv, testGraph, uniqueName } from '../support/graph.js';
import { freePort, startTs, type Child } from '../support/processes.js';
import {
  callPairs,
  edgeCounts,
  expectedEdges,
  halvesInOrder,
  otlpBody,
  sendUntilAcked,
} from '../support/routed-calls.js';

let graph: Graph;
beforeAll(() => {
  // Built by .ci/run before the tests; a no-op when the binary is current.
  ensureCollector();
  graph = testGraph();
}, 900_000);
afterAll(async () => {
  await graph?.close();
});

interface Worker {
  httpPort: number;
  grpcPort: number;
  spoolDir: string;
  child: Child;
}

function startWorker(w: Omit<Worker, 'child'>): Promise<Child> {
  return startTs(
    'ingest/main.ts',
    {
      ...neo4jEnv(),
      TOPOGRAPH_OTLP_HTTP_PORT: String(w.httpPort),
      TOPOGRAPH_OTLP_GRPC_PORT: String(w.grpcPort),
      TOPOGRAPH_ZIPKIN_PORT: '0',
      TOPOGRAPH_SPOOL_DIR: w.spoolDir,
      TOPOGRAPH_FLUSH_INTERVAL: '1s',
      TOPOGRAPH_PAIRING_TTL: '5m',
      TOPOGRAPH_LOG_LEVEL: 'info',
    },
    /OTLP\/gRPC receiver on/,
  );
}

/** deploy/otel-collector-loadbalancing.yaml on loopback ports, answering the sender only once the workers acknowledged. */
function loadbalancingConfig(httpPort: number, workers: Worker[]): object {
  return {
    receivers: { otlp: { protocols: { http: { endpoint: `127.0.0.1:${httpPort}` } } } },
    exporters: {
      loadbalancing: {
        routing_key: 'traceID',
        protocol: {
          otlp: {
            tls: { insecure: true },
            // No queue: a request is acknowledged to the sender only when its traces are in the workers' spools.
            sending_queue: { enabled: false },
            // A worker being restarted is retried, not given up on.
            retry_on_failure: { enabled: true, initial_interval: '100ms', max_interval: '1s', max_elapsed_time: '2m' },
          },
        },
        resolver: { static: { hostnames: workers.map((w) => `127.0.0.1:${w.grpcPort}`) } },
      },
    },
    service: {
      telemetry: { metrics: { level: 'none' } },
      pipelines: { traces: { receivers: ['otlp'], exporters: ['loadbalancing'] } },
    },
  };
}

const exited = (c: Child) =>
  new Promise<number | null>((resolve) => {
    if (c.process.exitCode !== null || c.process.signalCode !== null) resolve(c.process.exitCode);
    else c.process.once('exit', (code) => resolve(code));
  });

const spansReceived = async (w: Worker) =>
  Number(
    /^topograph_ingest_spans_received_total\{[^}]*\} (\d+)/m.exec(
      await (await fetch(`http://127.0.0.1:${w.httpPort}/metrics`)).text(),
    )?.[1] ?? 0,
  );

it(
  "two workers behind the Collector's loadbalancing exporter count every call exactly once, through a SIGKILL",
  { timeout: 300_000 },
  async () => {
    const prefix = uniqueName('scale');
    const [PAIRS, CALLS, ERRORS] = [60, 6, 2];
    const pairs = callPairs(prefix, PAIRS, CALLS, ERRORS);
    const requests = halvesInOrder(pairs, 5);
    const workers: Worker[] = [];
    let collector: RunningCollector | undefined;
    try {
      for (let w = 0; w < 2; w++) {
        const ports = { httpPort: await freePort(), grpcPort: await freePort() };
        const spoolDir = mkdtempSync(join(tmpdir(), `topograph-spool-scale-${w}-`));
        workers.push({ ...ports, spoolDir, child: await startWorker({ ...ports, spoolDir }) });
      }
      const collectorPort = await freePort();
      collector = await startCollector(loadbalancingConfig(collectorPort, workers));
      const url = `http://127.0.0.1:${collectorPort}/v1/traces`;

      let gate: Promise<void> | undefined;
      let inFlight = 0;
      let next = 0;
      let done = 0;
      const lane = async () => {
        while (next < requests.length) {
          const spans = requests[next++]!;
          while (gate) await gate;
          inFlight++;
          try {
            await sendUntilAcked(url, otlpBody(spans));
          } finally {
            inFlight--;
          }
          done++;
        }
      };
      let receivedBeforeKill = 0;
      const killer = async () => {
        while (done < requests.length * 0.4) await new Promise((r) => setTimeout(r, 10));
        let open!: () => void;
        gate = new Promise((r) => (open = r));
        while (inFlight > 0) await new Promise((r) => setTimeout(r, 2));
        const victim = workers[1]!;
        receivedBeforeKill = await spansReceived(victim);
        const gone = exited(victim.child);
        victim.child.process.kill('SIGKILL');
        await gone;
        gate = undefined;
        open();
        // Requests go on meanwhile: the Collector retries the dead worker's share until it is back.
        await new Promise((r) => setTimeout(r, 500));
        victim.child = await startWorker(victim);
      };
      await Promise.all([lane(), lane(), lane(), lane(), killer()]);

      // The exporter spread the traces over both workers.
      expect(receivedBeforeKill).toBeGreaterThan(0);
      expect(await spansReceived(workers[0]!)).toBeGreaterThan(0);
      for (const w of workers) {
        const code = exited(w.child);
        w.child.process.kill('SIGTERM');
        expect(await code).toBe(0);
      }
      expect(await edgeCounts(graph, prefix)).toEqual(expectedEdges(pairs, CALLS, ERRORS));
    } finally {
      await collector?.stop();
      await Promise.all(workers.map((w) => w.child.stop()));
    }
  },
);
