/**
 * `npm start` (scripts/start.ts) and `npm run import` (ingest/import-main.ts) as users run them: the
 * real entry points as child processes, against the test Neo4j (NEO4J_URI set, so `npm start` starts
 * no server of its own). Start serves GraphiQL with the example queries, takes spans and answers for
 * them, says loudly that access control is off, starts the worker again when it is killed while the API
 * goes on answering, and Ctrl-C stops everything it started. Import reads
 * a trace file into Neo4j, reports it, and exits 1 (naming the file) when a file cannot be read.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { describe, expect, it } from 'vitest';
import { fixturePath } from '../support/fixtures.js';
import { edgesIn } from '../support/model-graph.js';
import { neo4jEnv, fileGraph, uniqueName } from '../support/graph.js';
import { isAlive } from '../../src/core/process-alive.js';
import { eventually, freePort, ROOT, startTs } from '../support/processes.js';
import { recordCalls } from '../support/sdk-calls.js';

const graph = fileGraph();
const exited = (p: import('node:child_process').ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve(p.exitCode);
    p.once('exit', (code) => resolve(code));
  });

/** Service → service edges of an environment, `from -> to`, sorted. */
const serviceEdges = async (env: string) =>
  (await edgesIn(graph, env))
    .filter((e) => e.fromKind === 'SERVICE' && e.toKind === 'SERVICE')
    .map((e) => `${e.from} -> ${e.to}`)
    .sort();

const refused = async (url: string) => {
  try {
    await fetch(url);
    return false;
  } catch {
    return true;
  }
};

/** The names of the services `${env}-a` depends on, as the API answers them. */
async function serviceEdgesThroughApi(api: string, env: string): Promise<string[]> {
  const query = `{ service(name: "${env}-a", environment: "${env}") { dependencies(depth: 1) { component { name } } } }`;
  const r = (await (
    await fetch(`${api}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    })
  ).json()) as { data: { service: { dependencies: { component: { name: string } }[] } } };
  return r.data.service.dependencies.map((d) => d.component.name).sort();
}

describe('npm start', () => {
  it(
    'serves GraphiQL and OTLP, warns that auth is off, restarts a killed worker, and Ctrl-C stops all',
    { timeout: 180_000 },
    async () => {
      const [apiPort, otlpPort, grpcPort, zipkinPort] = [
        await freePort(),
        await freePort(),
        await freePort(),
        await freePort(),
      ];
      const start = await startTs(
        'scripts/start.ts',
        {
          ...neo4jEnv(),
          TOPOGRAPH_API_PORT: String(apiPort),
          TOPOGRAPH_OTLP_HTTP_PORT: String(otlpPort),
          TOPOGRAPH_OTLP_GRPC_PORT: String(grpcPort),
          TOPOGRAPH_ZIPKIN_PORT: String(zipkinPort),
          TOPOGRAPH_FLUSH_INTERVAL: '200ms',
        },
        /Topograph is starting/,
        120_000,
      );
      const api = `http://127.0.0.1:${apiPort}`;
      const otlp = `http://127.0.0.1:${otlpPort}`;
      try {
        await eventually(
          async () => ((await fetch(`${api}/readyz`)).status === 200 ? true : undefined),
          120_000,
          'API ready',
        );
        await eventually(
          async () => ((await fetch(`${otlp}/readyz`)).status === 200 ? true : undefined),
          120_000,
          'worker ready',
        );
        expect(start.output()).toContain(`GraphiQL     http://127.0.0.1:${apiPort}/graphql`);
        expect(start.output()).toMatch(/ACCESS CONTROL IS OFF/);

        // GraphiQL, with the example queries ready to run.
        const page = await fetch(`${api}/graphql`, { headers: { accept: 'text/html' } });
        expect(page.status).toBe(200);
        const html = await page.text();
        expect(html).toMatch(/graphiql/i);
        expect(html).toContain('services(first: 100)');

        // Spans in, the edge out, with its exact call count.
        const env = uniqueName('start');
        const { clientSpans, serverSpans } = recordCalls(`${env}-a`, `${env}-b`, env, 3);
        for (const spans of [clientSpans, serverSpans]) {
          const res = await fetch(`${otlp}/v1/traces`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-protobuf' },
            body: Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!),
          });
          expect(res.status).toBe(200);
        }
        const query = `{ service(name: "${env}-a", environment: "${env}") { dependencies(depth: 1) { component { name } calls } } }`;
        const deps = await eventually(async () => {
          const r = (await (
            await fetch(`${api}/graphql`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ query }),
            })
          ).json()) as { data?: { service?: { dependencies: unknown[] } | null } };
          return r.data?.service?.dependencies.length ? r.data.service.dependencies : undefined;
        }, 60_000);
        expect(deps).toEqual([{ component: { name: `${env}-b` }, calls: 3 }]);

        // kill -9 of the worker: it comes back (logged), the API answering throughout, and takes spans again.
        const pids = (name: string) =>
          [...start.output().matchAll(new RegExp(`\\[start\\] ${name} started \\(pid (\\d+)\\)`, 'g'))].map((m) =>
            Number(m[1]),
          );
        const [worker] = pids('ingest');
        expect(pids('api')).toHaveLength(1);
        process.kill(worker!, 'SIGKILL');
        await eventually(async () => ((await refused(`${otlp}/healthz`)) ? true : undefined), 10_000, 'worker gone');
        expect((await fetch(`${api}/healthz`)).status).toBe(200);
        expect(await serviceEdgesThroughApi(api, env)).toEqual([`${env}-b`]);
        const restarted = await eventually(
          async () => ((await fetch(`${otlp}/readyz`)).status === 200 ? pids('ingest')[1] : undefined),
          120_000,
          'worker back',
        );
        expect(restarted).not.toBe(worker);
        expect(start.output()).toMatch(/\[start\] ingest exited \(SIGKILL\); restarting it in 1 s \(restart 1\)/);
        expect(pids('api')).toHaveLength(1);
        const again = recordCalls(`${env}-a`, `${env}-c`, env, 2);
        for (const spans of [again.clientSpans, again.serverSpans]) {
          const res = await fetch(`${otlp}/v1/traces`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-protobuf' },
            body: Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!),
          });
          expect(res.status).toBe(200);
        }
        await eventually(
          async () => ((await serviceEdgesThroughApi(api, env)).length === 2 ? true : undefined),
          60_000,
          'the edge sent to the restarted worker',
        );

        // Ctrl-C: both children stop, then start itself, cleanly; nothing it started is left.
        const code = exited(start.process);
        start.process.kill('SIGINT');
        expect(await code).toBe(0);
        expect(await refused(`${api}/healthz`)).toBe(true);
        expect(await refused(`${otlp}/healthz`)).toBe(true);
        for (const pid of [restarted!, ...pids('api')]) expect(isAlive(pid)).toBe(false);
      } finally {
        await start.stop();
      }
    },
  );
});

describe('npm run import', () => {
  const run = (args: string[]) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'ingest/import-main.ts'), ...args], {
        env: { ...process.env, ...neo4jEnv(), TOPOGRAPH_LOG_PRETTY: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      child.once('exit', (code) => resolve({ code, out }));
    });

  it('imports a file into the environment asked for and reports it with the rate', { timeout: 120_000 }, async () => {
    const env = uniqueName('import-cli');
    const r = await run(['--environment', env, fixturePath('traces/shop.zipkin.json')]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/shop\.zipkin\.json/);
    expect(r.out).toMatch(/12 spans from 1 files in [\d.]+ s: \d+ spans\/s/);
    expect(await serviceEdges(env)).toEqual(['web -> api']);
  });

  it('exits 1 naming a file it cannot read, after importing the others', { timeout: 120_000 }, async () => {
    const env = uniqueName('import-cli-bad');
    const r = await run(['--environment', env, '/nonexistent/trace.json', fixturePath('traces/shop.zipkin.json')]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('/nonexistent/trace.json');
    expect(await serviceEdges(env)).toEqual(['web -> api']);
  });

  it('without files prints its usage and exits 2', async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/usage: npm run import/);
  });
});
