/**
 * Late halves with real worker processes (issue 19): two workers behind a trace-id router, their
 * clocks forced ahead by the test (test/support/shifted-clock.mjs) instead of a TTL slept out. Client
 * halves whose servers come 200 s (forced) later first count against `unknown`, then are corrected to
 * the real edge; halves waiting when one worker is killed with SIGKILL and kept down for 400 s (forced)
 * pair normally after its restart, the downtime left out of the pairing clock. The graph ends exact:
 * the real edges with every call, nothing left on `unknown`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Graph } from '../../src/core/neo4j/connection.js';
import { testGraph, uniqueName } from '../support/graph.js';
import { startIngestWorker } from '../support/ingest-worker.js';
import { eventually, freePort, killHard, ROOT, terminate, type Child } from '../support/processes.js';
import { otlpBody, sendUntilAcked, workerOf } from '../support/routed-calls.js';
import { recordCalls } from '../support/sdk-calls.js';

let graph: Graph;
beforeAll(() => {
  graph = testGraph();
});
afterAll(async () => {
  await graph.close();
});

const EDGES = `
MATCH (a:Component {environment: $env})-[r:DEPENDS_ON]->(b:Component)
RETURN a.name AS from, b.name AS to, r.calls AS calls, coalesce(r.unpaired, 0) AS unpaired
ORDER BY from, to`;

const edgesOf = async (env: string) =>
  graph.read('test', async (tx) =>
    (await tx.run(EDGES, { env })).records.map(
      (r) => `${r.get('from')} -> ${r.get('to')} x${Number(r.get('calls'))} unpaired ${Number(r.get('unpaired'))}`,
    ),
  );

/** Waits until the environment's edges pass `ok`; a timeout names the edges last seen. */
const untilEdges = (env: string, ok: (edges: string[]) => boolean, what: string) =>
  eventually(
    async () => {
      const edges = await edgesOf(env);
      if (ok(edges)) return true;
      throw new Error(`edges then: ${JSON.stringify(edges)}`);
    },
    60_000,
    what,
  );

/** A late-halves counter of a worker's /metrics. */
async function lateHalves(port: number, outcome: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(new RegExp(`^topograph_ingest_late_halves\\{outcome="${outcome}"[^}]*\\} (\\d+)`, 'm').exec(text)?.[1]);
}

it(
  'two workers: halves 200 s apart corrected to the real edge, and a SIGKILL with 400 s down not counted against waiting halves',
  { timeout: 240_000 },
  async () => {
    const env = uniqueName('late');
    const shiftFile = join(mkdtempSync(join(tmpdir(), 'topograph-clock-')), 'shift');
    let shift = 0;
    const forward = (ms: number) => writeFileSync(shiftFile, String((shift += ms)));
    forward(0);
    const start = (port: number, spoolDir: string) =>
      startIngestWorker(port, spoolDir, {
        NODE_OPTIONS: `--import=${pathToFileURL(join(ROOT, 'test/support/shifted-clock.mjs')).href}`,
        TEST_CLOCK_SHIFT_FILE: shiftFile,
        // Longer than every wait below in real time: the restarted worker's waiting halves must not
        // expire on the machine's own clock while a loaded CI box is slow to show the other's.
        TOPOGRAPH_PAIRING_TTL: '180s',
      });
    const workers: { port: number; spoolDir: string; child: Child }[] = [];
    for (let w = 0; w < 2; w++) {
      const port = await freePort();
      const spoolDir = mkdtempSync(join(tmpdir(), `topograph-spool-late-${w}-`));
      workers.push({ port, spoolDir, child: await start(port, spoolDir) });
    }
    /** Each trace's spans to the worker its id routes to, one request per worker. */
    const send = (spans: ReadableSpan[]) =>
      Promise.all(
        workers.map((w, i) => {
          const mine = spans.filter((s) => workerOf(s.spanContext().traceId, 2) === i);
          return mine.length > 0 ? sendUntilAcked(`http://127.0.0.1:${w.port}/v1/traces`, otlpBody(mine)) : 0;
        }),
      );
    const CALLS = 12;
    const early = recordCalls('a', 'b', env, CALLS);
    const waiting = recordCalls('c', 'd', env, CALLS);
    const other = recordCalls('x', 'y', env, CALLS);
    const routedTo = (spans: ReadableSpan[], w: number) =>
      spans.filter((s) => workerOf(s.spanContext().traceId, 2) === w).length;
    try {
      await send(early.clientSpans);
      forward(200_000);
      await untilEdges(
        env,
        (edges) => edges.includes(`a -> unknown x${CALLS} unpaired ${CALLS}`),
        'the early client halves to expire to unknown',
      );

      await send(waiting.clientSpans);
      const victim = workers[1]!;
      await killHard(victim.child);
      forward(400_000);
      victim.child = await start(victim.port, victim.spoolDir);
      // Calls of its own first, once written: a collect on the restarted worker's clock has run, which
      // would expire the waiting halves if the 400 s counted.
      const own = [...other.clientSpans, ...other.serverSpans].filter(
        (s) => workerOf(s.spanContext().traceId, 2) === 1,
      );
      await sendUntilAcked(`http://127.0.0.1:${victim.port}/v1/traces`, otlpBody(own));
      const ownEdge = `x -> y x${routedTo(other.clientSpans, 1)} unpaired 0`;
      await untilEdges(env, (edges) => edges.includes(ownEdge), 'the restarted worker to write');
      // The other worker ran through the 400 s: its waiting halves expire at its next collect, which a
      // slow commit may hold back; their servers are sent once they have (else they would pair in time).
      const expiredOnOther = routedTo(waiting.clientSpans, 0);
      if (expiredOnOther > 0)
        await untilEdges(
          env,
          (edges) => edges.includes(`c -> unknown x${expiredOnOther} unpaired ${expiredOnOther}`),
          'the other worker to expire its waiting halves',
        );
      await send(waiting.serverSpans);
      await send(early.serverSpans);

      const exact = [`a -> b x${CALLS} unpaired 0`, `c -> d x${CALLS} unpaired 0`, ownEdge];
      await untilEdges(env, (edges) => JSON.stringify(edges) === JSON.stringify(exact), `exactly ${exact.join(', ')}`);
      // The restarted worker corrected only the early halves it owns: its waiting ones paired as if
      // the 400 s down had not passed. The other worker ran through those 400 s: its waiting halves
      // expired and were corrected too.
      expect(await lateHalves(victim.port, 'corrected')).toBe(routedTo(early.clientSpans, 1));
      expect(await lateHalves(workers[0]!.port, 'corrected')).toBe(
        routedTo(early.clientSpans, 0) + routedTo(waiting.clientSpans, 0),
      );
      for (const w of workers) expect(await terminate(w.child)).toBe(0);
      expect(await edgesOf(env)).toEqual(exact);
      const components = await graph.read('test', async (tx) =>
        (
          await tx.run('MATCH (c:Component {environment: $env}) RETURN c.name AS name ORDER BY name', { env })
        ).records.map((r) => r.get('name') as string),
      );
      expect(components).toEqual(['a', 'b', 'c', 'd', 'x', 'y']);
    } finally {
      await Promise.all(workers.map((w) => w.child.stop()));
    }
  },
);
