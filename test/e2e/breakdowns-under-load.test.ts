/**
 * Tag and version counts under load (docs/ingest.md, "Tag and version counts under load"): the real
 * worker, told that every flush is a large one, writes the calls at once and holds the tag counts in
 * its checkpoint; killed with SIGKILL and restarted on its spool, it still holds them, and a SIGTERM
 * writes them once: nothing lost, nothing counted twice.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { expect, it } from 'vitest';
import { edgeCalls, fileGraph, uniqueName } from '../support/graph.js';
import { startIngestWorker } from '../support/ingest-worker.js';
import { eventually, freePort, killHard, terminate } from '../support/processes.js';
import { recordCalls } from '../support/sdk-calls.js';

const graph = fileGraph();

/** The `http.route` tag counts on the server's service and its operation. */
const routeTags = (environment: string, server: string) =>
  graph.read('test', async (tx) =>
    (
      await tx.run(
        `MATCH (s:Service {name: $server, environment: $environment})
         OPTIONAL MATCH (s)-[:HAS_OPERATION]->(o:Operation)
         WITH s, collect(o) AS ops
         UNWIND [s] + ops AS x
         MATCH (x)-[r:TAGGED]->(:Tag {key: 'http.route'})
         RETURN CASE WHEN x:Operation THEN 'operation' ELSE 'service' END + ' x' + r.calls + ' (' + r.errors + ' errors)' AS tag
         ORDER BY tag`,
        { environment, server },
      )
    ).records.map((r) => r.get('tag') as string),
  );

it('holds tag counts in the checkpoint while flushes are large, through a SIGKILL, and writes them once', async () => {
  const environment = uniqueName('breakdowns');
  const [client, server] = [`${environment}-a`, `${environment}-b`];
  const spoolDir = mkdtempSync(join(tmpdir(), 'topograph-spool-breakdowns-'));
  const port = await freePort();
  // One row a second: every flush is "large", so tag and version counts wait for the hour (or a stop).
  const start = () =>
    startIngestWorker(port, spoolDir, {
      TOPOGRAPH_FLUSH_ROWS_PER_SECOND: '1',
      TOPOGRAPH_FLUSH_INTERVAL_MAX: '1s',
      TOPOGRAPH_BREAKDOWN_INTERVAL: '1h',
    });
  const exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces` });
  const send = async (calls: number, errors: number) => {
    const { clientSpans, serverSpans } = recordCalls(client, server, environment, calls, errors);
    for (const spans of [clientSpans, serverSpans])
      expect(
        await new Promise<boolean>((resolve) =>
          exporter.export(spans as ReadableSpan[], (r) => resolve(r.code === ExportResultCode.SUCCESS)),
        ),
      ).toBe(true);
  };
  const callsWritten = (n: number) =>
    eventually(async () => ((await edgeCalls(graph, environment)).get(`${client}>${server}`) === n ? true : undefined));

  let worker = await start();
  try {
    await send(3, 1);
    await callsWritten(3);
    expect(await routeTags(environment, server)).toEqual([]);

    await killHard(worker);
    worker = await start();
    await send(2, 0);
    await callsWritten(5);
    expect(await routeTags(environment, server)).toEqual([]);
  } finally {
    await exporter.shutdown();
    expect(await terminate(worker)).toBe(0);
  }
  expect(await routeTags(environment, server)).toEqual(['operation x5 (1 errors)', 'service x5 (1 errors)']);
  expect((await edgeCalls(graph, environment)).get(`${client}>${server}`)).toBe(5);
}, 120_000);
