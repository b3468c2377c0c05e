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
import { ensureCollector, startCollector } from '../bench/peer/collector.js';
import { testGraph, uniqueName } from '../support/graph.js';
import { startIngestWorker } from '../support/ingest-worker.js';
import { freePort, killHard, terminate, type Child } from '../support/processes.js';
import { edgeCounts, otlpBody, scaleTraffic, sendWithInterrupt } from '../support/routed-calls.js';

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

const startWorker = (w: Omit<Worker, 'child'>) =>
  startIngestWorker(
    w.httpPort,
    w.spoolDir,
    { TOPOGRAPH_OTLP_GRPC_PORT: String(w.grpcPort), TOPOGRAPH_FLUSH_INTERVAL: '1s' },
    /OTLP\/gRPC receiver on/,
  );

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
    const { halves: requests, expected } = scaleTraffic(prefix);
    const workers: Worker[] = [];
    let collector: Child | undefined;
    try {
      for (let w = 0; w < 2; w++) {
        const ports = { httpPort: await freePort(), grpcPort: await freePort() };
        const spoolDir = mkdtempSync(join(tmpdir(), `topograph-spool-scale-${w}-`));
        workers.push({ ...ports, spoolDir, child: await startWorker({ ...ports, spoolDir }) });
      }
      const collectorPort = await freePort();
      collector = await startCollector(loadbalancingConfig(collectorPort, workers));
      const url = `http://127.0.0.1:${collectorPort}/v1/traces`;

      let receivedBeforeKill = 0;
      await sendWithInterrupt(
        requests.map((spans) => ({ url, body: otlpBody(spans), group: 0 })),
        {
          lanes: 4,
          interruptAfter: requests.length * 0.4,
          // Nothing in flight to the Collector, so nothing in flight from it to the workers either.
          interrupt: async (quiet) => {
            const reopen = await quiet();
            const victim = workers[1]!;
            receivedBeforeKill = await spansReceived(victim);
            await killHard(victim.child);
            reopen();
            // Requests go on meanwhile: the Collector retries the dead worker's share until it is back.
            await new Promise((r) => setTimeout(r, 500));
            victim.child = await startWorker(victim);
          },
        },
      );

      // The exporter spread the traces over both workers.
      expect(receivedBeforeKill).toBeGreaterThan(0);
      expect(await spansReceived(workers[0]!)).toBeGreaterThan(0);
      // SIGTERM: each worker drains its spool, checkpoints and exits 0.
      for (const w of workers) expect(await terminate(w.child)).toBe(0);
      expect(await edgeCounts(graph, prefix)).toEqual(expected);
    } finally {
      await collector?.stop();
      await Promise.all(workers.map((w) => w.child.stop()));
    }
  },
);
