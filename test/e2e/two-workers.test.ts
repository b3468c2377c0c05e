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
import { neo4jEnv, testGraph, uniqueName } from '../support/graph.js';
import { freePort, startTs, type Child } from '../support/processes.js';
import {
  callPairs,
  edgeCounts,
  expectedEdges,
  halvesInOrder,
  otlpBody,
  sendUntilAcked,
  workerOf,
} from '../support/routed-calls.js';

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

function startWorker(port: number, spoolDir: string): Promise<Child> {
  return startTs(
    'ingest/main.ts',
    {
      ...neo4jEnv(),
      TOPOGRAPH_OTLP_HTTP_PORT: String(port),
      TOPOGRAPH_OTLP_GRPC_PORT: '0',
      TOPOGRAPH_ZIPKIN_PORT: '0',
      TOPOGRAPH_SPOOL_DIR: spoolDir,
      // Long enough that requests wait unwritten in the spool when the kill comes.
      TOPOGRAPH_FLUSH_INTERVAL: '1s',
      // No half expires while its other half waits out a restart.
      TOPOGRAPH_PAIRING_TTL: '5m',
      TOPOGRAPH_LOG_LEVEL: 'info',
    },
    /OTLP\/HTTP receiver on/,
  );
}

const exited = (c: Child) =>
  new Promise<number | null>((resolve) => {
    if (c.process.exitCode !== null || c.process.signalCode !== null) resolve(c.process.exitCode);
    else c.process.once('exit', (code) => resolve(code));
  });

it(
  'two workers behind a trace-id router count every call and error exactly once, through a SIGKILL',
  { timeout: 240_000 },
  async () => {
    const prefix = uniqueName('two');
    const [PAIRS, CALLS, ERRORS] = [60, 6, 2];
    const pairs = callPairs(prefix, PAIRS, CALLS, ERRORS);
    // One request per half of a pair and worker: each trace's spans go to one worker only.
    const requests = halvesInOrder(pairs, 5).flatMap((spans) =>
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
      // Sends to a worker wait while its gate is closed; in flight, by worker.
      const gates: (Promise<void> | undefined)[] = [undefined, undefined];
      const inFlight = [0, 0];
      const sentTo = [0, 0];
      let next = 0;
      let done = 0;
      const lane = async () => {
        while (next < requests.length) {
          const r = requests[next++]!;
          while (gates[r.worker]) await gates[r.worker];
          inFlight[r.worker]!++;
          try {
            await sendUntilAcked(`http://127.0.0.1:${workers[r.worker]!.port}/v1/traces`, otlpBody(r.spans));
          } finally {
            inFlight[r.worker]!--;
          }
          sentTo[r.worker]!++;
          done++;
        }
      };
      let unwrittenAtKill = -1;
      const killer = async () => {
        while (done < requests.length * 0.4) await new Promise((r) => setTimeout(r, 10));
        const victim = workers[1]!;
        let open!: () => void;
        // Killed with acknowledged requests not yet written: only the spool has them.
        for (;;) {
          gates[1] = new Promise((r) => (open = r));
          while (inFlight[1]! > 0) await new Promise((r) => setTimeout(r, 2));
          const metrics = await (await fetch(`http://127.0.0.1:${victim.port}/metrics`)).text();
          unwrittenAtKill = Number(/^topograph_spool_checkpoint_lag_records\{[^}]*\} (\d+)/m.exec(metrics)?.[1]);
          if (unwrittenAtKill > 0 || next >= requests.length) break;
          gates[1] = undefined;
          open();
          await new Promise((r) => setTimeout(r, 50));
        }
        const gone = exited(victim.child);
        victim.child.process.kill('SIGKILL');
        await gone;
        // While it is down, its requests are refused and sent again.
        gates[1] = undefined;
        open();
        victim.child = await startWorker(victim.port, victim.spoolDir);
      };
      await Promise.all([lane(), lane(), lane(), lane(), killer()]);

      expect(unwrittenAtKill).toBeGreaterThan(0);
      expect(Math.min(...sentTo)).toBeGreaterThan(requests.length / 4);
      const retries = await Promise.all(
        workers.map(async (w) => (await fetch(`http://127.0.0.1:${w.port}/metrics`)).text()),
      );
      for (const text of retries) expect(text).toContain('# TYPE topograph_ingest_write_retries_total counter');

      // SIGTERM: each worker drains its spool, checkpoints and exits 0.
      for (const w of workers) {
        const code = exited(w.child);
        w.child.process.kill('SIGTERM');
        expect(await code).toBe(0);
      }
      expect(await edgeCounts(graph, prefix)).toEqual(expectedEdges(pairs, CALLS, ERRORS));
    } finally {
      await Promise.all(workers.map((w) => w.child.stop()));
    }
  },
);
