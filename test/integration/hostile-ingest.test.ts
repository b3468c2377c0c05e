/**
 * Hostile requests against the real ingest worker process (ingest/main.ts with tokens and small
 * limits): every one is refused with the documented status and message, the worker keeps answering,
 * and what was ingested before is still there afterwards (checked through GraphQL).
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashTagValue } from '../../ingest/tags.js';
import { createApi } from '../../src/api/yoga.js';
import { apiConfig } from '../support/api.js';
import { neo4jEnv, fileGraph, uniqueName } from '../support/graph.js';
import { encodeJson, encodeProtobuf, rawSpan, type RawRequest } from '../support/otlp-payloads.js';
import { eventually, freePort, startTs, type Child } from '../support/processes.js';

const INGEST = `ingest-${randomBytes(12).toString('hex')}`;
const READ = `read-${randomBytes(12).toString('hex')}`;
const ADMIN = `admin-${randomBytes(12).toString('hex')}`;
const SECRET = randomBytes(16).toString('hex');
const env = uniqueName('hostile-env');
const service = uniqueName('seeded');

let worker: Child;
let base: string;
let zipkinBase: string;
const graph = fileGraph();

const resource = (name = service) => ({ 'service.name': name, 'deployment.environment.name': env });

async function post(body: BodyInit, headers: Record<string, string> = {}, token: string | null = INGEST) {
  const res = await fetch(`${base}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, text, headers: res.headers };
}

const json = (req: RawRequest) => JSON.stringify(encodeJson(req));

async function gql(query: string, variables: Record<string, unknown>) {
  const api = createApi({ graph, config: apiConfig(), ready: async () => true });
  const res = await api.fetch('http://topograph/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });

  return (await res.json()) as { data?: any; errors?: unknown[] };
}

const SEEDED = `query($n: String!, $e: String!) { service(name: $n, environment: $e) { name operations { name kind } } }`;

async function seededIsIntact() {
  const r = await gql(SEEDED, { n: service, e: env });
  return r.data?.service?.operations?.length ? r.data.service : undefined;
}

/** After every hostile request: the worker still answers, and the seeded service is unchanged. */
async function stillFine() {
  const health = await fetch(`${base}/healthz`);
  expect(health.status).toBe(200);
  expect(await seededIsIntact()).toEqual({ name: service, operations: [{ name: 'GET /seeded', kind: 'SERVER' }] });
}

beforeAll(async () => {
  const [http, grpc, zipkin] = [await freePort(), await freePort(), await freePort()];
  worker = await startTs(
    'ingest/main.ts',
    {
      ...neo4jEnv(),
      TOPOGRAPH_OTLP_HTTP_PORT: String(http),
      TOPOGRAPH_OTLP_GRPC_PORT: String(grpc),
      TOPOGRAPH_ZIPKIN_PORT: String(zipkin),
      TOPOGRAPH_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'topograph-hostile-')),
      TOPOGRAPH_FLUSH_INTERVAL: '200ms',
      TOPOGRAPH_PAIRING_TTL: '300ms',
      TOPOGRAPH_TOKENS: `collector:${INGEST}:ingest,grafana:${READ}:read,ops:${ADMIN}:admin`,
      TOPOGRAPH_MAX_BODY_BYTES: String(64 * 1024),
      TOPOGRAPH_MAX_DECOMPRESSED_BYTES: String(4 * 1024 * 1024),
      TOPOGRAPH_MAX_DECOMPRESSION_RATIO: '10',
      TOPOGRAPH_MAX_SPANS_PER_REQUEST: '50',
      TOPOGRAPH_TAG_RULES: 'customer.id:hash,tenant.id:drop',
      TOPOGRAPH_TAG_HASH_SECRET: SECRET,
    },
    /OTLP\/HTTP receiver on/,
  );
  base = `http://127.0.0.1:${http}`;
  zipkinBase = `http://127.0.0.1:${zipkin}`;
  const seed = rawSpan({
    name: 'GET /seeded',
    attributes: {
      'http.route': '/seeded',
      'http.request.method': 'GET',
      'customer.id': 'alice@example.com',
      'tenant.id': 'acme',
    },
  });
  expect((await post(json({ resource: resource(), spans: [seed] }))).status).toBe(200);
  await eventually(seededIsIntact, 30_000, 'the seeded service');
});

afterAll(async () => {
  await worker?.stop();
  await graph?.close();
});

describe('ingest worker: access', () => {
  it('401 without a token, with a Bearer challenge', async () => {
    const r = await post(json({ resource: resource(), spans: [rawSpan()] }), {}, null);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer realm="topograph"');
    await stillFine();
  });

  it('401 with an unknown token', async () => {
    const r = await post(json({ resource: resource(), spans: [rawSpan()] }), {}, `${INGEST}x`);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toContain('error="invalid_token"');
    await stillFine();
  });

  it('403 with a token that lacks the ingest scope', async () => {
    const r = await post(json({ resource: resource(), spans: [rawSpan()] }), {}, READ);
    expect(r.status).toBe(403);
    expect(r.headers.get('www-authenticate')).toContain('scope="ingest"');
    expect(JSON.parse(r.text).message).toBe('the token "grafana" lacks the "ingest" scope');
    await stillFine();
  });

  it('/metrics needs admin; health stays open', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${INGEST}` } })).status).toBe(403);
    const metrics = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('topograph_ingest_spans_received_total');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it('never logs a token', () => {
    for (const t of [INGEST, READ, ADMIN]) expect(worker.output()).not.toContain(t);
  });
});

describe('ingest worker: hostile bodies', () => {
  it('415 for another content type or encoding', async () => {
    expect((await post('hello', { 'content-type': 'text/plain' })).status).toBe(415);
    const br = await post(json({ resource: resource(), spans: [rawSpan()] }), { 'content-encoding': 'br' });
    expect(br.status).toBe(415);
    expect(br.text).toContain('unsupported Content-Encoding');
    await stillFine();
  });

  it('413 for a declared body over the limit', async () => {
    const r = await post('x'.repeat(64 * 1024 + 1));
    expect(r.status).toBe(413);
    expect(r.text).toContain('exceeds the limit of 65536 bytes');
    await stillFine();
  });

  it('413 for a chunked body that grows past the limit, answered before the sender finishes', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${base}/v1/traces`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${INGEST}`,
          'transfer-encoding': 'chunked',
        },
      });
      let status: number | undefined;
      req.on('response', (res) => {
        status = res.statusCode;
        res.resume();
        req.destroy();
      });
      // The worker closes the connection after answering, so the sender's next write may fail: that is
      // expected; what matters is that the answer arrived before the close.
      req.on('error', () => {});
      req.on('close', () => (status ? resolve(status) : reject(new Error('connection closed without an answer'))));
      // Five chunks pass the limit of four; the body is never ended, so only the limit can answer.
      for (let i = 0; i < 5; i++) req.write(Buffer.alloc(16 * 1024, 0x20));
    });
    expect(status).toBe(413);
    await stillFine();
  });

  it('413 for gzip and deflate bombs, refused by ratio without inflating them', async () => {
    const zeros = Buffer.alloc(3 * 1024 * 1024);
    const gz = await post(gzipSync(zeros), { 'content-encoding': 'gzip' });
    expect(gz.status).toBe(413);
    expect(gz.text).toMatch(/10 times its compressed size of \d+ bytes/);
    const df = await post(deflateSync(zeros), { 'content-encoding': 'deflate' });
    expect(df.status).toBe(413);
    await stillFine();
  });

  it('400 for a corrupt gzip body, invalid JSON, JSON that is not UTF-8, and protobuf that is not OTLP', async () => {
    const cases: [BodyInit, Record<string, string>, RegExp][] = [
      [Buffer.from('1f8b0800deadbeef', 'hex'), { 'content-encoding': 'gzip' }, /could not decompress/],
      ['{"resourceSpans": [', {}, /not valid JSON/],
      [
        Buffer.concat([Buffer.from('{"resourceSpans":[],"x":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
        {},
        /not valid UTF-8/,
      ],
      [
        Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]),
        { 'content-type': 'application/x-protobuf' },
        /not an OTLP ExportTraceServiceRequest/,
      ],
      ['[1, 2, 3]', {}, /not a JSON object/],
    ];
    for (const [body, headers, message] of cases) {
      const r = await post(body, headers);
      expect(r.status, r.text).toBe(400);
      expect(r.text).toMatch(message);
    }
    await stillFine();
  });

  it('413 for more spans than allowed in one request', async () => {
    const r = await post(
      json({ resource: resource(uniqueName('many')), spans: Array.from({ length: 51 }, () => rawSpan()) }),
    );
    expect(r.status).toBe(413);
    expect(r.text).toContain('more than 50 spans');
    await stillFine();
  });

  it('partial success for a request with some bad spans (protobuf): the good one is kept, each bad one named', async () => {
    const far = BigInt(Date.UTC(2200, 0, 1)) * 1_000_000n;
    const partly = uniqueName('partly');
    const body = encodeProtobuf({
      resource: resource(partly),
      spans: [
        rawSpan({ name: 'GET /ok', attributes: { 'http.route': '/ok' } }),
        rawSpan({ traceId: 'abcd' }),
        rawSpan({ startNs: far, endNs: far }),
        rawSpan({ name: new Uint8Array([0xc3, 0x28]) }),
      ],
    });
    const res = await fetch(`${base}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${INGEST}` },
      body: new Uint8Array(body),
    });
    expect(res.status).toBe(200);
    const answer = Buffer.from(await res.arrayBuffer()).toString('latin1');
    expect(answer).toContain('3 span(s) rejected');
    expect(answer).toContain('traceId must be 16 bytes, got 2');
    expect(answer).toContain('after 2100-01-01');
    expect(answer).toContain('name is not valid UTF-8');
    await eventually(
      async () => (await gql(SEEDED, { n: partly, e: env })).data?.service?.operations?.length || undefined,
      30_000,
      'the valid span',
    );
    await stillFine();
  });

  it('accepts attribute values nested 2,000 deep (as deep as the body limit allows) without falling over', async () => {
    const text = json({ resource: resource(uniqueName('deep')), spans: [rawSpan({ attributes: { deep: 'HERE' } })] });
    const value = '{"arrayValue":{"values":['.repeat(2000) + '{"stringValue":"x"}' + ']}}'.repeat(2000);
    const r = await post(text.replace('{"stringValue":"HERE"}', value));
    expect(r.status, r.text).toBe(200);
    await stillFine();
  });
});

describe('Zipkin receiver: the same tokens and limits as OTLP', () => {
  const zipkinSpan = (i: number, extra: Record<string, string> = {}) => ({
    traceId: randomBytes(16).toString('hex'),
    id: randomBytes(8).toString('hex'),
    name: `get /z${i}`,
    kind: 'SERVER',
    timestamp: Date.now() * 1000,
    duration: 1000,
    localEndpoint: { serviceName: uniqueName('zipkin') },
    tags: { 'http.method': 'GET', ...extra },
  });
  const postZipkin = async (body: string, token: string | null = INGEST, headers: Record<string, string> = {}) => {
    const res = await fetch(`${zipkinBase}/api/v2/spans`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body,
    });
    return { status: res.status, text: await res.text() };
  };

  it('401 without a token, 403 without the ingest scope', async () => {
    expect((await postZipkin(JSON.stringify([zipkinSpan(0)]), null)).status).toBe(401);
    expect((await postZipkin(JSON.stringify([zipkinSpan(0)]), READ)).status).toBe(403);
    await stillFine();
  });

  it('413 for more spans than allowed, and for a gzip bomb, refused by ratio', async () => {
    const many = await postZipkin(JSON.stringify(Array.from({ length: 51 }, (_, i) => zipkinSpan(i))));
    expect(many.status).toBe(413);
    expect(many.text).toContain('more than 50 spans');
    const bomb = gzipSync(Buffer.alloc(3 * 1024 * 1024, 0x20));
    const r = await fetch(`${zipkinBase}/api/v2/spans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: `Bearer ${INGEST}` },
      body: bomb,
    });
    expect(r.status).toBe(413);
    expect(await r.text()).toMatch(/10 times its compressed size/);
    await stillFine();
  });

  it('cuts long values and counts them, as over OTLP', async () => {
    const metric = async () => {
      const text = await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
      return Number(/^topograph_ingest_limited_total\{[^}]*what="values_truncated"[^}]*\} (\d+)/m.exec(text)?.[1] ?? 0);
    };
    const before = await metric();
    const r = await postZipkin(JSON.stringify([zipkinSpan(1, { note: 'x'.repeat(10_000) })]));
    expect(r.status).toBe(202);
    expect(await metric()).toBe(before + 1);
    await stillFine();
  });
});

describe('ingest worker: personal data in tags', () => {
  it('hashes customer.id with the configured secret and drops tenant.id before storing', async () => {
    const rows = await graph.driver.executeQuery(
      'MATCH (s:Service {name: $name, environment: $env})-[:TAGGED]->(t:Tag) RETURN t.key AS key, t.value AS value',
      { name: service, env },
      { database: graph.database },
    );
    const tags = Object.fromEntries(rows.records.map((r) => [r.get('key'), r.get('value')]));
    expect(tags['customer.id']).toBe(hashTagValue(SECRET, 'alice@example.com'));
    expect(tags['tenant.id']).toBeUndefined();
    expect(JSON.stringify(tags)).not.toContain('alice');
  });
});
