/**
 * End to end: two services instrumented with the official OpenTelemetry JS SDK call each other over
 * real HTTP and export to the real ingest worker (protobuf exporter, then the JSON one); the real API
 * then returns both services, the edge between them and its exact call count, and the same edge at
 * this hour and as added since an earlier one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startTs, eventually } from '../support/processes.js';
import { uniqueName } from '../support/graph.js';
import { startWorkerAndApi, type Stack } from '../support/stack.js';

let stack: Stack;
let otlp: string;
let graphql: string;

beforeAll(async () => {
  stack = await startWorkerAndApi({ TOPOGRAPH_LOG_LEVEL: 'info' });
  ({ otlp, graphql } = stack);
});

afterAll(async () => {
  await stack?.stop();
});

async function query(q: string, variables: Record<string, unknown>) {
  const res = await fetch(graphql, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: q, variables }),
  });
  return (await res.json()) as { data?: any; errors?: unknown[] };
}

const EDGE = `query ($env: String!, $name: String!) {
  services(first: 100, environment: $env) { edges { node { name environment } } }
  service(name: $name, environment: $env) {
    operations { name kind }
    dependencies(depth: 1) { depth component { name kind } calls errors byVersion { fromVersion toVersion calls errors } }
  }
}`;

describe.each(['proto', 'json'])('OpenTelemetry SDK with the %s exporter', (exporter) => {
  it('gives both services, the edge between them and its exact call count', async () => {
    const env = uniqueName('e2e');
    const [frontPort, backPort] = [await freePort(), await freePort()];
    const base = { OTLP_ENDPOINT: otlp, EXPORTER: exporter, DEPLOYMENT_ENVIRONMENT: env };
    const backend = await startTs(
      'test/e2e/fixtures/traced-http-service.ts',
      { ...base, SERVICE_NAME: 'backend', SERVICE_VERSION: '1.0.0', PORT: String(backPort) },
      /listening/,
    );
    const frontend = await startTs(
      'test/e2e/fixtures/traced-http-service.ts',
      {
        ...base,
        SERVICE_NAME: 'frontend',
        SERVICE_VERSION: '2.2.0',
        PORT: String(frontPort),
        DOWNSTREAM_URL: `http://127.0.0.1:${backPort}`,
      },
      /listening/,
    );
    const calls = 7;
    for (let i = 0; i < calls; i++) {
      const res = await fetch(`http://127.0.0.1:${frontPort}/work/${1000 + i}`);
      expect(res.status).toBe(200);
    }
    // SIGTERM makes each SDK flush what it still holds.
    await Promise.all([frontend.stop(), backend.stop()]);

    await eventually(
      async () => {
        const r = await query(EDGE, { env, name: 'frontend' });
        const dep = r.data?.service?.dependencies?.find((d: any) => d.component.name === 'backend');
        return dep?.calls === calls ? r.data : undefined;
      },
      30_000,
      `frontend → backend with ${calls} calls`,
    );
    // The two root fields read apart, at the same time: the poll that first saw the edge may have
    // listed the services just before the commit that wrote them. Asked again, both are in.
    const { data } = await query(EDGE, { env, name: 'frontend' });

    expect(data.services.edges.map((e: any) => e.node.name).sort()).toEqual(['backend', 'frontend']);
    // Each side's service.version, from its SDK resource, on the edge between them.
    const byVersion = [{ fromVersion: '2.2.0', toVersion: '1.0.0', calls, errors: 0 }];
    expect(data.service.dependencies).toEqual([
      { depth: 1, component: { name: 'backend', kind: 'SERVICE' }, calls, errors: 0, byVersion },
    ]);
    // Routes with ids are templated, never one operation per raw URL.
    expect(data.service.operations).toEqual([{ name: 'GET /work/{id}', kind: 'SERVER' }]);

    // The same map in the hour of the edge's last call, and as what was added since two hours before; OTLP saw the edge.
    const live = await query(`query ($env: String) { topology(environment: $env) { edges { lastSeen } } }`, { env });
    const now = live.data.topology.edges[0].lastSeen as string;
    const time = await query(
      `query ($env: String, $now: DateTime!, $before: DateTime!) {
        topology(environment: $env, at: $now) { nodes { name } edges { from { name } to { name } sources } }
        topologyDiff(environment: $env, from: $before, to: $now) {
          added { from { name } to { name } sources } removed { to { name } } addedComponents { name } } }`,
      { env, now, before: new Date(Date.parse(now) - 2 * 3_600_000).toISOString() },
    );
    expect(time.errors).toBeUndefined();
    const edge = { from: { name: 'frontend' }, to: { name: 'backend' }, sources: ['otlp'] };
    expect(time.data.topology.edges).toEqual([edge]);
    expect(time.data.topologyDiff.added).toEqual([edge]);
    expect(time.data.topologyDiff.removed).toEqual([]);
    expect(time.data.topologyDiff.addedComponents.map((c: any) => c.name).sort()).toEqual(['backend', 'frontend']);
  });
});
