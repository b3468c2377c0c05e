/**
 * Many workers (issue 14 item 4): two real worker processes (ingest/main.ts), each with its own
 * spool, write to the one Neo4j, fed whole traces by a sender that routes each trace by a hash of its
 * id, as the Collector's loadbalancing exporter does (the same behind the real Collector:
 * `npm run test:scale`). One worker is killed with SIGKILL mid-load and restarted on its spool; the
 * sender sends again what was not acknowledged. The graph must hold exactly the calls and errors
 * sent: nothing lost, nothing counted twice, whatever the two writers' transactions did to each other
 * (deadlocks are retried and counted in topograph_ingest_write_retries_total).
 *
 * The kill falls between two requests to that worker, never during one: a request whose 200 is lost
 * after the spool took it would be sent again and counted twice (OTLP is at-least-once; see
 * docs/scaling.md), which is not what this test is about.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Graph } from '../../src/core/neo4j/connection.js';
import { testGraph, uniqueName } from '../support/graph.js';
import { startIngestWorker } from '../support/ingest-worker.js';
import { freePort, killHard, terminate, type Child } from '../support/processes.js';
import { edgeCounts, otlpBody, scaleTraffic, sendWithInterrupt, workerOf } from '../support/routed-calls.js';

let graph: Graph;
beforeAll(() => {
  graph = testGraph();
});
afterAll(async () => {
  await graph.close();
});

interface Worker {
  port: number;
  spoolDir: string;
  child: Child;
}

/** Flushing every second: requests wait unwritten in the spool when the kill comes. */
const startWorker = (port: number, spoolDir: string) =>
  startIngestWorker(port, spoolDir, { TOPOGRAPH_FLUSH_INTERVAL: '1s' });

it(
  'two workers behind a trace-id router count every call and error exactly once, through a SIGKILL',
  { timeout: 240_000 },
  async () => {
    const prefix = uniqueName('two');
    const { halves, expected } = scaleTraffic(prefix);
    // One request per half of a pair and worker: each trace's spans go to one worker only.
    const requests = halves.flatMap((spans) =>
      [0, 1]
        .map((w) => ({ worker: w, spans: spans.filter((s) => workerOf(s.spanContext().traceId, 2) === w) }))
        .filter((r) => r.spans.length > 0),
    );
    const workers: Worker[] = [];
    for (let w = 0; w < 2; w++) {
      const port = await freePort();
      const spoolDir = mkdtempSync(join(tmpdir(), `topograph-spool-two-${w}-`));
      workers.push({ port, spoolDir, child: await startWorker(port, spoolDir) });
    }
    try {
      let unwrittenAtKill = -1;
      const acked = await sendWithInterrupt(
        requests.map((r) => ({
          url: `http://127.0.0.1:${workers[r.worker]!.port}/v1/traces`,
          body: otlpBody(r.spans),
          group: r.worker,
        })),
        {
          lanes: 4,
          interruptAfter: requests.length * 0.4,
          interrupt: async (quiet) => {
            const victim = workers[1]!;
            // Killed with acknowledged requests not yet written: only the spool has them.
            let reopen = await quiet(1);
            for (let tries = 0; tries < 100; tries++) {
              const metrics = await (await fetch(`http://127.0.0.1:${victim.port}/metrics`)).text();
              unwrittenAtKill = Number(/^topograph_spool_checkpoint_lag_records\{[^}]*\} (\d+)/m.exec(metrics)?.[1]);
              if (unwrittenAtKill > 0) break;
              reopen();
              await new Promise((r) => setTimeout(r, 50));
              reopen = await quiet(1);
            }
            await killHard(victim.child);
            // While it is down, its requests are refused and sent again.
            reopen();
            victim.child = await startWorker(victim.port, victim.spoolDir);
          },
        },
      );

      expect(unwrittenAtKill).toBeGreaterThan(0);
      expect(Math.min(acked[0]!, acked[1]!)).toBeGreaterThan(requests.length / 4);
      const retries = await Promise.all(
        workers.map(async (w) => (await fetch(`http://127.0.0.1:${w.port}/metrics`)).text()),
      );
      for (const text of retries) expect(text).toContain('# TYPE topograph_ingest_write_retries_total counter');

      // SIGTERM: each worker drains its spool, checkpoints and exits 0.
      for (const w of workers) expect(await terminate(w.child)).toBe(0);
      expect(await edgeCounts(graph, prefix)).toEqual(expected);
    } finally {
      await Promise.all(workers.map((w) => w.child.stop()));
    }
  },
);
