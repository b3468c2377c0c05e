/**
 * Prometheus /metrics on both processes, each with a fresh registry so that figures are exact:
 * the worker's receive, reject, pairing and flush figures after real requests written to the real
 * Neo4j by a durable worker (spool + checkpoint, as ingest/main.ts runs it); the API's requests,
 * latency and errors per GraphQL operation.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorker, type Worker } from '../../ingest/worker.js';
import { createCheckpointStore } from '../../ingest/spool/checkpoint-store.js';
import { openSpool } from '../../ingest/spool/segment-log.js';
import { writerOptions } from '../../ingest/writer.js';
import { loadConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { createRegistry } from '../../src/core/metrics.js';
import type { Graph } from '../../src/core/neo4j/connection.js';
import { createApi, DEFAULT_API_SETTINGS } from '../../src/api/yoga.js';
import { testGraph, uniqueName } from '../support/graph.js';
import { hexId } from '../support/spans.js';

let graph: Graph;
let worker: Worker;
let server: Server;
let base: string;

beforeAll(async () => {
  graph = testGraph();
  const config = loadConfig({});
  const spool = await openSpool({ dir: mkdtempSync(join(tmpdir(), 'topograph-metrics-')), maxBytes: 1 << 26 });
  worker = createWorker({
    config,
    log: createLogger('test', 'silent'),
    registry: createRegistry('ingest'),
    ready: async () => true,
    durable: { spool, store: createCheckpointStore(graph, spool.id, writerOptions(config)) },
  });
  worker.start();
  server = createServer((req, res) => worker.handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await worker.stop();
  await graph.close();
});

/** The value of one sample line, e.g. `name{label="x"}`; labels given must all appear. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{') && !line.startsWith(name + ' ')) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.split(' ').pop());
  }
  return undefined;
}

function otlpJson(service: string, spans: { kind: number; parent?: string; id?: string }[]) {
  const traceId = hexId(16);
  const now = Date.now() * 1e6;
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [
          {
            spans: spans.map((s) => ({
              traceId,
              spanId: s.id ?? hexId(8),
              parentSpanId: s.parent ?? '',
              name: 'op',
              kind: s.kind,
              startTimeUnixNano: String(now - 5e6),
              endTimeUnixNano: String(now),
            })),
          },
        ],
      },
    ],
  };
}

describe('ingest /metrics', () => {
  it('counts spans received and rejected, requests refused, waiting halves and flushes', async () => {
    const service = uniqueName('metrics');
    const root = hexId(8);
    // A SERVER root and a CLIENT child whose server never comes (it waits in the pairing buffer),
    // and one span with a 3-byte id (refused on its own).
    const body = otlpJson(service, [
      { kind: 2, id: root },
      { kind: 3, parent: root },
      { kind: 1, id: 'abcdef' },
    ]);
    const ok = await fetch(`${base}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(ok.status).toBe(200);
    const bad = await fetch(`${base}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(bad.status).toBe(400);
    await worker.flush();

    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(sample(text, 'topograph_ingest_spans_received_total')).toBe(2);
    expect(sample(text, 'topograph_ingest_spans_rejected_total')).toBe(1);
    expect(sample(text, 'topograph_ingest_requests_rejected_total', { reason: 'invalid payload' })).toBe(1);
    expect(sample(text, 'topograph_ingest_pairing_buffer_size')).toBe(1);
    expect(sample(text, 'topograph_ingest_pairing_events', { outcome: 'completed' })).toBe(0);
    // One commit of facts + checkpoint: the flush the test asked for.
    expect(sample(text, 'topograph_ingest_flush_duration_seconds_count')).toBe(1);
    expect(sample(text, 'topograph_ingest_flush_failures_total')).toBe(0);
    expect(sample(text, 'topograph_spool_records_skipped_total')).toBe(0);
    expect(sample(text, 'topograph_spool_checkpoint_lag_records')).toBe(0);
    expect(sample(text, 'topograph_ingest_tag_values_overflowed')).toBe(0);
    expect(sample(text, 'topograph_process_cpu_seconds_total', { process: 'ingest' })).toBeGreaterThan(0);
  });
});

describe('API /metrics', () => {
  it('counts requests, latency and errors per GraphQL operation', async () => {
    const api = createApi({
      graph,
      settings: DEFAULT_API_SETTINGS,
      registry: createRegistry('api'),
      ready: async () => true,
    });
    const post = (body: unknown) =>
      api.fetch('http://topograph/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const name = uniqueName('nobody');
    for (let i = 0; i < 2; i++) {
      const r = await post({ query: `query Lookup { service(name: "${name}") { name } }`, operationName: 'Lookup' });
      expect(((await r.json()) as { data: unknown }).data).toEqual({ service: null });
    }
    await post({ query: 'query Broken { noSuchField }', operationName: 'Broken' });
    await post({ query: '{ services(first: 1) { edges { node { name } } } }' });

    const text = await (await api.fetch('http://topograph/metrics')).text();
    expect(sample(text, 'topograph_api_graphql_requests_total', { operation: 'Lookup', type: 'query' })).toBe(2);
    expect(sample(text, 'topograph_api_graphql_requests_total', { operation: 'anonymous', type: 'query' })).toBe(1);
    expect(sample(text, 'topograph_api_graphql_errors_total', { operation: 'Broken', phase: 'validate' })).toBe(1);
    expect(sample(text, 'topograph_api_graphql_errors_total', { operation: 'Lookup' })).toBeUndefined();
    expect(sample(text, 'topograph_api_graphql_duration_seconds_count', { operation: 'Lookup' })).toBe(2);
    expect(sample(text, 'topograph_process_cpu_seconds_total', { process: 'api' })).toBeGreaterThan(0);
  });
});
