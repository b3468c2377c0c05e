/**
 * The load generator, run as its own process so that encoding and sending do not share the worker's
 * event loop. It prepares a pool of export requests before any timing, then sends them over keep-alive
 * connections at a fixed concurrency. Each pass over the pool rewrites the last four bytes of every
 * trace id in place, so ids stay fresh without encoding anything while the clock runs, and the four
 * before them with a value drawn for this sender: the workload's ids are seeded, and trace samples
 * (keyed by trace id alone) left by an earlier run must not be found again.
 */
import { randomInt } from 'node:crypto';
import { Agent, request } from 'node:http';
import { buildTopology, requestsOf, type EncodedRequest, type WorkloadShape } from './workload.js';

export interface SenderSetup {
  shape: WorkloadShape;
  poolSpans: number;
  spansPerRequest: number;
}

export interface SendResult {
  spans: number;
  requests: number;
  failures: number;
  elapsedMs: number;
}

function prepare(setup: SenderSetup): EncodedRequest[] {
  const topology = buildTopology(setup.shape);
  const pool: EncodedRequest[] = [];
  let total = 0;
  for (const req of requestsOf(topology, setup.shape.seed + 1, Date.now(), setup.spansPerRequest)) {
    // Whole pairs of requests, as before: the two halves of a chunk go together.
    if (total >= setup.poolSpans && pool.length % 2 === 0) break;
    pool.push(req);
    total += req.spans;
  }
  return pool;
}

async function send(
  pool: EncodedRequest[],
  urls: URL[],
  concurrency: number,
  durationMs: number,
  pass: { n: number },
  spansPerS?: number,
): Promise<SendResult> {
  const agents = urls.map(() => new Agent({ keepAlive: true, maxSockets: concurrency }));
  const post = (target: number, body: Uint8Array) =>
    new Promise<{ status: number; retryAfterS: number }>((resolve, reject) => {
      const req = request(
        urls[target]!,
        {
          method: 'POST',
          agent: agents[target],
          headers: { 'content-type': 'application/x-protobuf', 'content-length': body.byteLength },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, retryAfterS: Number(res.headers['retry-after'] ?? 0) }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const result: SendResult = { spans: 0, requests: 0, failures: 0, elapsedMs: 0 };
  const start = performance.now();
  let next = 0;
  /** spans scheduled so far: at a set rate, each request waits for its turn on one shared timetable */
  let scheduled = 0;
  const lane = async () => {
    while (performance.now() - start < durationMs) {
      const i = next++ % pool.length;
      if (i === 0) pass.n++;
      const r = pool[i]!;
      if (spansPerS) {
        const wait = start + (scheduled / spansPerS) * 1000 - performance.now();
        scheduled += r.spans;
        if (wait > 0) await new Promise((w) => setTimeout(w, wait));
        if (performance.now() - start >= durationMs) break;
      }
      for (const off of r.traceIdOffsets) {
        const id = new DataView(r.body.buffer, r.body.byteOffset + off + 8, 8);
        id.setUint32(0, RUN_SALT);
        id.setUint32(4, pass.n);
      }
      // A reused keep-alive socket the server closed meanwhile fails the request: as exporters do, it is
      // counted as refused and sent again, rather than ending the run.
      // With several URLs, each chunk's two requests (whole traces, test/bench/workload.ts) go to one of
      // them, as a trace-id router would send them: a call's two halves meet in one worker.
      const { status, retryAfterS } = await post((i >> 1) % urls.length, r.body).catch(() => ({
        status: 0,
        retryAfterS: 0,
      }));
      if (status === 200) {
        result.spans += r.spans;
        result.requests++;
      } else {
        result.failures++;
        // As OTLP exporters do: a refused lane waits what Retry-After asks before sending again.
        const left = durationMs - (performance.now() - start);
        if (retryAfterS > 0 && left > 0) await new Promise((w) => setTimeout(w, Math.min(retryAfterS * 1000, left)));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  result.elapsedMs = performance.now() - start;
  for (const agent of agents) agent.destroy();
  return result;
}

type Command =
  | { cmd: 'prepare'; setup: SenderSetup }
  /** `url`: where to send; with several, each chunk of whole traces goes to one of them in turn (two targets warmed up at once) */
  | { cmd: 'send'; url: string | string[]; concurrency: number; durationMs: number; spansPerS?: number };

let pool: EncodedRequest[] = [];
const pass = { n: -1 };
const RUN_SALT = randomInt(2 ** 32 - 1);
process.on('message', (m: Command) => {
  void (async () => {
    try {
      if (m.cmd === 'prepare') {
        pool = prepare(m.setup);
        pass.n = -1;
        process.send!({
          ok: true,
          requests: pool.length,
          spans: pool.reduce((n, r) => n + r.spans, 0),
          bytes: pool.reduce((n, r) => n + r.body.byteLength, 0),
        });
      } else {
        process.send!({
          ok: true,
          result: await send(
            pool,
            [m.url].flat().map((u) => new URL(u)),
            m.concurrency,
            m.durationMs,
            pass,
            m.spansPerS,
          ),
        });
      }
    } catch (error) {
      process.send!({ ok: false, error: String((error as Error).stack ?? error) });
    }
  })();
});
process.on('disconnect', () => process.exit(0));
