/**
 * Traffic for several workers: calls between pairs of services recorded with the OpenTelemetry SDK,
 * each call its own trace, sent as separate requests for the client and the server halves (as two
 * processes export them), and what the graph must then hold: exactly the calls and errors sent.
 */
import { createHash } from 'node:crypto';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Graph } from '../../src/core/neo4j/connection.js';
import { recordCalls } from './sdk-calls.js';

export interface CallPair {
  client: string;
  server: string;
  clientSpans: ReadableSpan[];
  serverSpans: ReadableSpan[];
}

/** `pairs` client → server pairs of `calls` calls each, the first `errors` of each failing. */
export function callPairs(prefix: string, pairs: number, calls: number, errors: number): CallPair[] {
  return Array.from({ length: pairs }, (_, p) => ({
    client: `${prefix}-a${p}`,
    server: `${prefix}-b${p}`,
    ...recordCalls(`${prefix}-a${p}`, `${prefix}-b${p}`, prefix, calls, errors),
  }));
}

/**
 * The halves in sending order: the server halves of pair p go `lag` steps after its client halves,
 * so halves wait in the pairing buffer across flushes and restarts.
 */
export function halvesInOrder(pairs: CallPair[], lag: number): ReadableSpan[][] {
  const out: ReadableSpan[][] = [];
  for (let i = 0; i < pairs.length + lag; i++) {
    if (pairs[i]) out.push(pairs[i]!.clientSpans);
    if (pairs[i - lag]) out.push(pairs[i - lag]!.serverSpans);
  }
  return out;
}

/** Which of `n` workers a trace goes to: a hash of its id, as the Collector's loadbalancing exporter routes. */
export function workerOf(traceId: string, n: number): number {
  return createHash('sha256').update(traceId).digest().readUInt32BE(0) % n;
}

export const otlpBody = (spans: ReadableSpan[]) => ProtobufTraceSerializer.serializeRequest(spans)!;

/**
 * POSTs an OTLP/protobuf body until it is acknowledged (200), as OTLP exporters retry what was not:
 * a refused connection (the worker is down) or a 429/503 is sent again after a short wait.
 */
export async function sendUntilAcked(url: string, body: Uint8Array, timeoutMs = 120_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (let attempts = 1; ; attempts++) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body: Buffer.from(body),
      });
      await res.arrayBuffer();
      if (res.status === 200) return attempts;
      if (res.status !== 429 && res.status !== 503) throw new Error(`${url} answered ${res.status}`);
    } catch (error) {
      if (!(error instanceof TypeError)) throw error; // fetch's "failed": nothing listens (yet)
    }
    if (Date.now() > deadline) throw new Error(`${url} did not acknowledge within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** DEPENDS_ON calls and errors between the services whose names start with `prefix`, by "from>to". */
export async function edgeCounts(
  graph: Graph,
  prefix: string,
): Promise<Map<string, { calls: number; errors: number }>> {
  const rows = await graph.read(
    'test',
    async (tx) =>
      (
        await tx.run(
          `MATCH (a:Service)-[r:DEPENDS_ON]->(b:Service) WHERE a.name STARTS WITH $prefix
           RETURN a.name AS a, b.name AS b, r.calls AS calls, r.errors AS errors`,
          { prefix },
        )
      ).records,
  );
  return new Map(
    rows.map((r) => [
      `${r.get('a')}>${r.get('b')}`,
      { calls: Number(r.get('calls')), errors: Number(r.get('errors')) },
    ]),
  );
}

/** Every pair's edge and no other, each with exactly the calls and errors sent. */
export function expectedEdges(pairs: CallPair[], calls: number, errors: number) {
  return new Map(pairs.map((p) => [`${p.client}>${p.server}`, { calls, errors }]));
}

export interface Outgoing {
  url: string;
  body: Uint8Array;
  /** which gate holds it back while paused (the worker it goes to) */
  group: number;
}

/** Closes the gate of `group` (of every group when none is given), waits until none of its requests is in flight, and returns what opens it again. */
export type Quiet = (group?: number) => Promise<() => void>;

/**
 * Sends every request over `lanes` concurrent lanes, each until acknowledged (`sendUntilAcked`). Once
 * `interruptAfter` are acknowledged, `interrupt` runs beside the lanes with `quiet` in hand: it can hold
 * back the requests to a worker and kill it between two of them. Resolves with the requests acknowledged
 * by group.
 */
export async function sendWithInterrupt(
  requests: Outgoing[],
  opts: { lanes: number; interruptAfter: number; interrupt: (quiet: Quiet) => Promise<void> },
): Promise<number[]> {
  const gates = new Map<number | 'all', Promise<void>>();
  const inFlight = new Map<number, number>();
  const acked: number[] = [];
  let next = 0;
  let done = 0;
  const held = (group: number) => gates.get(group) ?? gates.get('all');
  const lane = async () => {
    while (next < requests.length) {
      const r = requests[next++]!;
      for (let gate = held(r.group); gate; gate = held(r.group)) await gate;
      inFlight.set(r.group, (inFlight.get(r.group) ?? 0) + 1);
      try {
        await sendUntilAcked(r.url, r.body);
      } finally {
        inFlight.set(r.group, inFlight.get(r.group)! - 1);
      }
      acked[r.group] = (acked[r.group] ?? 0) + 1;
      done++;
    }
  };
  const quiet: Quiet = async (group) => {
    const key = group ?? 'all';
    let open!: () => void;
    gates.set(key, new Promise((r) => (open = r)));
    const busy = () =>
      group === undefined ? [...inFlight.values()].some((n) => n > 0) : (inFlight.get(group) ?? 0) > 0;
    while (busy()) await new Promise((r) => setTimeout(r, 2));
    return () => {
      gates.delete(key);
      open();
    };
  };
  const interrupter = async () => {
    while (done < opts.interruptAfter) await new Promise((r) => setTimeout(r, 10));
    await opts.interrupt(quiet);
  };
  await Promise.all([...Array.from({ length: opts.lanes }, lane), interrupter()]);
  return acked;
}

/** The scale tests' traffic: 60 pairs of services, 6 calls each of which 2 fail, and the edges they must leave. */
export function scaleTraffic(prefix: string) {
  const pairs = callPairs(prefix, 60, 6, 2);
  return { pairs, halves: halvesInOrder(pairs, 5), expected: expectedEdges(pairs, 6, 2) };
}
