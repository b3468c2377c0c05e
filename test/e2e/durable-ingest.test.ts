/**
 * Durable ingest against the real worker process: the official OTLP exporter sends the two halves of
 * many calls in separate requests while the worker is killed with SIGKILL at random moments and
 * restarted on the same spool; after a SIGTERM the graph must hold exactly what was acknowledged.
 * And a full spool is refused, never acknowledged: 503 + Retry-After while Neo4j is away, 429 +
 * Retry-After while Neo4j is there and processing is merely behind.
 */
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { edgeCalls, fileGraph, uniqueName } from '../support/graph.js';
import { eventually, exited, freePort } from '../support/processes.js';
import { startIngestWorker } from '../support/ingest-worker.js';
import { recordCalls } from '../support/sdk-calls.js';

const graph = fileGraph();
const startWorker = startIngestWorker;

describe('durable ingest', () => {
  it(
    'after SIGKILLs under load and a SIGTERM, counts exactly what was acknowledged',
    { timeout: 300_000 },
    async () => {
      const prefix = uniqueName('kill');
      const environment = prefix;
      const spoolDir = mkdtempSync(join(tmpdir(), 'topograph-spool-kill-'));
      const port = await freePort();
      const PAIRS = 120;
      const CALLS = 3;
      // The server half of pair p is sent LAG steps after its client half, so halves wait across restarts.
      const LAG = 7;
      const pairs = Array.from({ length: PAIRS }, (_, p) => ({
        client: `${prefix}-a${p}`,
        server: `${prefix}-b${p}`,
        ...recordCalls(`${prefix}-a${p}`, `${prefix}-b${p}`, environment, CALLS),
        clientAcked: false,
        serverAcked: false,
      }));
      const sends: (() => Promise<void>)[] = [];
      const exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces`, timeoutMillis: 20_000 });
      const exportSpans = (spans: ReadableSpan[]) =>
        new Promise<boolean>((resolve) => exporter.export(spans, (r) => resolve(r.code === ExportResultCode.SUCCESS)));
      for (let i = 0; i < PAIRS + LAG; i++) {
        const c = pairs[i];
        if (c) sends.push(async () => void (c.clientAcked = await exportSpans(c.clientSpans)));
        const s = pairs[i - LAG];
        if (s) sends.push(async () => void (s.serverAcked = await exportSpans(s.serverSpans)));
      }

      let worker = await startWorker(port, spoolDir);
      // Kill points: random request counts, spread over the run.
      const killAt = [0.2, 0.45, 0.7].map((f) => Math.floor(sends.length * (f + Math.random() * 0.15)));
      let kills = 0;
      let done = 0;
      let next = 0;
      const runner = async () => {
        while (next < sends.length) {
          await sends[next++]!();
          done++;
        }
      };
      const killer = async () => {
        for (const at of killAt) {
          while (done < at) await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
          const gone = exited(worker);
          worker.process.kill('SIGKILL');
          await gone;
          kills++;
          worker = await startWorker(port, spoolDir);
        }
      };
      await Promise.all([runner(), runner(), runner(), runner(), killer()]);
      await exporter.shutdown();

      // SIGTERM: stop accepting, drain the spool, checkpoint, exit 0.
      const code = exited(worker);
      worker.process.kill('SIGTERM');
      expect(await code).toBe(0);

      const calls = await edgeCalls(graph, prefix);
      const both = pairs.filter((p) => p.clientAcked && p.serverAcked);
      expect(kills).toBe(3);
      expect(both.length).toBeGreaterThan(PAIRS / 2);
      for (const p of both) expect(calls.get(`${p.client}>${p.server}`), p.client).toBe(CALLS);
      // A request cut off by a kill may or may not have been kept, but never partly, never twice.
      for (const p of pairs) expect([undefined, CALLS]).toContain(calls.get(`${p.client}>${p.server}`));
      for (const key of calls.keys()) {
        const [a, b] = key.split('>');
        expect(b, key).toBe(a!.replace(/-a(\d+)$/, '-b$1'));
      }
    },
  );

  it('refuses with 503 and Retry-After when the spool is full, and never acknowledges what it cannot keep', async () => {
    const prefix = uniqueName('full');
    const port = await freePort();
    const maxBytes = 6000;
    // No Neo4j answers here: nothing drains the spool, so it fills.
    const closed = await freePort();
    const spoolDir = mkdtempSync(join(tmpdir(), 'topograph-spool-full-'));
    const worker = await startWorker(port, spoolDir, {
      NEO4J_URI: `bolt://127.0.0.1:${closed}`,
      NEO4J_PASSWORD: 'unused',
      TOPOGRAPH_SPOOL_MAX_BYTES: String(maxBytes),
      TOPOGRAPH_SHUTDOWN_TIMEOUT: '3s',
    });
    try {
      const { clientSpans } = recordCalls(`${prefix}-a`, `${prefix}-b`, prefix, 2);
      const body = ProtobufTraceSerializer.serializeRequest(clientSpans)!;
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 40; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf' },
          body: Buffer.from(body),
        });
        await res.arrayBuffer();
        statuses.push(res.status);
        if (res.status !== 200) retryAfter = res.headers.get('retry-after');
      }
      const acked = statuses.filter((s) => s === 200).length;
      expect(acked).toBeGreaterThan(0);
      expect(statuses.slice(acked).every((s) => s === 503)).toBe(true);
      expect(Number(retryAfter)).toBeGreaterThan(0);
      // Every acknowledged request is on disk: they fit in the spool, the next one did not.
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const bytes = Number(/^topograph_spool_bytes\{[^}]*\} (\d+)/m.exec(metrics)?.[1]);
      const records = Number(/^topograph_spool_records\{[^}]*\} (\d+)/m.exec(metrics)?.[1]);
      expect(records).toBe(acked);
      expect(bytes).toBeLessThanOrEqual(maxBytes);
      expect(bytes + bytes / acked).toBeGreaterThan(maxBytes);
      expect(metrics).toMatch(/^topograph_spool_checkpoint_lag_records\{[^}]*\} \d+/m);
      expect(metrics).toMatch(/^topograph_spool_oldest_record_age_seconds\{[^}]*\} [\d.]+/m);

      // SIGTERM with Neo4j away: the worker gives up writing (at once here: with no Neo4j the schema was
      // never applied, so processing never started), exits cleanly, and what it acknowledged stays in
      // the spool for the next start. (Refusing new requests while it stops: test/integration/ingest-lag.test.ts.)
      const code = exited(worker);
      worker.process.kill('SIGTERM');
      expect(await code).toBe(0);
      const kept = readdirSync(spoolDir).filter((f) => f.endsWith('.seg'));
      expect(kept.reduce((n, f) => n + statSync(join(spoolDir, f)).size, 0)).toBeGreaterThan(0);
    } finally {
      await worker.stop();
    }
  });
  it('refuses with 429 and Retry-After when the spool is full only because processing is behind', async () => {
    const prefix = uniqueName('behind');
    const port = await freePort();
    // Neo4j is reachable, but no flush is due for an hour: what is read stays in the spool until SIGTERM.
    const worker = await startWorker(port, mkdtempSync(join(tmpdir(), 'topograph-spool-behind-')), {
      TOPOGRAPH_SPOOL_MAX_BYTES: '8000',
      TOPOGRAPH_FLUSH_INTERVAL: '1h',
    });
    const CALLS = 2;
    let sent = 0;
    /** Both halves of CALLS calls of a pair of its own, in one request. */
    const send = async () => {
      const i = sent++;
      const { clientSpans, serverSpans } = recordCalls(`${prefix}-a${i}`, `${prefix}-b${i}`, prefix, CALLS);
      const res = await fetch(`http://127.0.0.1:${port}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        body: Buffer.from(ProtobufTraceSerializer.serializeRequest([...clientSpans, ...serverSpans])!),
      });
      await res.arrayBuffer();
      return { i, status: res.status, retryAfter: res.headers.get('retry-after') };
    };
    try {
      const acked: number[] = [];
      const refused: number[] = [];
      for (;;) {
        const r = await send();
        if (r.status !== 200) {
          refused.push(r.status);
          break;
        }
        acked.push(r.i);
        expect(acked.length).toBeLessThan(40);
      }
      // Until the worker has read its checkpoint it cannot know Neo4j is there (503); from then on the
      // full spool can only mean "behind": 429, with a shorter Retry-After.
      const behind = await eventually(async () => {
        const r = await send();
        refused.push(r.status);
        return r.status === 429 ? r : undefined;
      });
      expect(Number(behind.retryAfter)).toBeGreaterThan(0);
      // Once full, nothing more was taken: nothing drains the spool before SIGTERM.
      expect(refused.filter((s) => s !== 503 && s !== 429)).toEqual([]);

      // SIGTERM drains the spool: exactly what was acknowledged is counted, nothing refused is.
      const code = exited(worker);
      worker.process.kill('SIGTERM');
      expect(await code).toBe(0);
      const calls = await edgeCalls(graph, prefix);
      expect(calls).toEqual(new Map(acked.map((i) => [`${prefix}-a${i}>${prefix}-b${i}`, CALLS])));
    } finally {
      await worker.stop();
    }
  });
});
