/**
 * The OTLP/gRPC receiver's answers, over a real socket with a grpc-js client sending raw bytes:
 * partial success for bad spans, INVALID_ARGUMENT for a body that is no trace request, and the
 * worker's refusals as the retryable codes exporters know.
 */
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs/minimal.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../src/core/auth.js';
import type { AcceptResult } from '../../ingest/otlp/http-receiver.js';
import { createOtlpGrpcReceiver, TRACE_EXPORT_PATH, type OtlpGrpcReceiver } from '../../ingest/otlp/grpc-receiver.js';
import type { DecodedBatch } from '../../ingest/span.js';
import { defaultConfig } from '../../src/core/config.js';

/** ExportTraceServiceRequest with one resource, one scope and spans given as (traceId, spanId) hex. */
function exportRequest(spans: [string, string][]): Buffer {
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 2).fork(); // resource_spans
  w.uint32((2 << 3) | 2).fork(); // scope_spans
  for (const [traceId, spanId] of spans) {
    w.uint32((2 << 3) | 2).fork(); // span
    w.uint32((1 << 3) | 2).bytes(Buffer.from(traceId, 'hex'));
    w.uint32((2 << 3) | 2).bytes(Buffer.from(spanId, 'hex'));
    w.uint32((5 << 3) | 2).string('op');
    w.uint32((7 << 3) | 1).fixed64(1_700_000_000_000_000_000);
    w.uint32((8 << 3) | 1).fixed64(1_700_000_000_010_000_000);
    w.ldelim();
  }
  w.ldelim();
  w.ldelim();
  return Buffer.from(w.finish());
}

/** ExportTraceServiceResponse → rejected_spans, error_message */
function readResponse(bytes: Buffer): { rejected: number; message: string } {
  const out = { rejected: 0, message: '' };
  const r = protobuf.Reader.create(bytes);
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 !== 1) {
      r.skipType(tag & 7);
      continue;
    }
    const end = r.uint32() + r.pos;
    while (r.pos < end) {
      const t = r.uint32();
      if (t >>> 3 === 1) out.rejected = Number(r.int64());
      else if (t >>> 3 === 2) out.message = r.string();
      else r.skipType(t & 7);
    }
  }
  return out;
}

let receiver: OtlpGrpcReceiver | undefined;
let client: grpc.Client | undefined;

afterEach(async () => {
  client?.close();
  await receiver?.close();
});

const INGEST_TOKEN = 'ingest-token-0123456789';
const READ_TOKEN = 'read-token-0123456789ab';
const auth = createAuthenticator({
  enabled: true,
  tokens: [
    { name: 'collector', token: INGEST_TOKEN, scopes: ['ingest'] },
    { name: 'reader', token: READ_TOKEN, scopes: ['read'] },
  ],
});

async function start(accept: (d: DecodedBatch) => AcceptResult, withAuth = false) {
  const received: DecodedBatch[] = [];
  receiver = createOtlpGrpcReceiver({
    maxMessageBytes: 1024 * 1024,
    limits: defaultConfig().limits.decode,
    auth: withAuth ? auth : undefined,
    accept: async (d) => {
      received.push(d);
      return accept(d);
    },
  });
  const port = await receiver.listen('127.0.0.1', 0);
  client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = (body: Buffer, token?: string) =>
    new Promise<{ response?: Buffer; error?: grpc.ServiceError }>((resolve) => {
      const metadata = new grpc.Metadata();
      if (token) metadata.set('authorization', `Bearer ${token}`);
      client!.makeUnaryRequest(
        TRACE_EXPORT_PATH,
        (b: Buffer) => b,
        (b: Buffer) => b,
        body,
        metadata,
        (error, response) => resolve({ error: error ?? undefined, response }),
      );
    });
  return { received, call };
}

const TRACE = 'ab'.repeat(16);
const RETRY_INFO = 'type.googleapis.com/google.rpc.RetryInfo';

/** google.rpc.Status → code, message, and the first detail's type and RetryInfo.retry_delay.seconds */
function readRetryInfo(bytes: Buffer) {
  const out = { code: -1, message: '', typeUrl: '', seconds: -1 };
  const fields = (buf: Uint8Array, each: (field: number, r: protobuf.Reader) => void) => {
    const r = protobuf.Reader.create(buf);
    while (r.pos < r.len) {
      const tag = r.uint32();
      const before = r.pos;
      each(tag >>> 3, r);
      if (r.pos === before) r.skipType(tag & 7);
    }
  };
  fields(bytes, (f, r) => {
    if (f === 1) out.code = r.int32();
    else if (f === 2) out.message = r.string();
    else if (f === 3)
      fields(r.bytes(), (g, any) => {
        if (g === 1) out.typeUrl = any.string();
        else if (g === 2)
          fields(any.bytes(), (h, info) => {
            if (h === 1) fields(info.bytes(), (k, d) => k === 1 && (out.seconds = Number(d.int64())));
          });
      });
  });
  return out;
}

describe('OTLP/gRPC receiver', () => {
  it('accepts good spans and reports bad ones as partial success', async () => {
    const { received, call } = await start(() => ({}));
    const { error, response } = await call(
      exportRequest([
        [TRACE, '01'.repeat(8)],
        [TRACE, '0203'],
      ]),
    );
    expect(error).toBeUndefined();
    expect(received[0]!.spanCount).toBe(1);
    const answer = readResponse(response!);
    expect(answer.rejected).toBe(1);
    expect(answer.message).toMatch(/spanId must be 8 bytes/);
  });

  it('answers an empty partial success when every span is fine', async () => {
    const { call } = await start(() => ({}));
    const { error, response } = await call(exportRequest([[TRACE, '01'.repeat(8)]]));
    expect(error).toBeUndefined();
    expect(response!.length).toBe(0);
  });

  it('refuses a body that is not an export request with INVALID_ARGUMENT', async () => {
    const { received, call } = await start(() => ({}));
    const { error } = await call(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(received).toHaveLength(0);
  });

  it.each([
    [503, grpc.status.UNAVAILABLE],
    [429, grpc.status.RESOURCE_EXHAUSTED],
  ])('maps a worker refusal with HTTP %i to gRPC code %i', async (status, code) => {
    const { call } = await start(() => ({ refuse: { status, message: 'spool full' } }));
    const { error } = await call(exportRequest([[TRACE, '01'.repeat(8)]]));
    expect(error?.code).toBe(code);
    expect(error?.details).toBe('spool full');
  });

  it.each([
    [429, grpc.status.RESOURCE_EXHAUSTED],
    [503, grpc.status.UNAVAILABLE],
  ])('a retryable refusal (HTTP %i) carries google.rpc.RetryInfo with the delay', async (status, code) => {
    const { call } = await start(() => ({ refuse: { status, message: 'behind', retryAfterSeconds: 3 } }));
    const { error } = await call(exportRequest([[TRACE, '01'.repeat(8)]]));
    expect(error?.code).toBe(code);
    const details = error?.metadata?.get('grpc-status-details-bin')[0];
    expect(Buffer.isBuffer(details)).toBe(true);
    expect(readRetryInfo(details as Buffer)).toEqual({ code, message: 'behind', typeUrl: RETRY_INFO, seconds: 3 });
  });

  it('a refusal that retrying cannot cure (413) carries no RetryInfo', async () => {
    const { call } = await start(() => ({ refuse: { status: 413, message: 'larger than the spool' } }));
    const { error } = await call(exportRequest([[TRACE, '01'.repeat(8)]]));
    expect(error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(error?.metadata?.get('grpc-status-details-bin')).toEqual([]);
  });

  it('with auth on, takes only a bearer token with the ingest scope', async () => {
    const { received, call } = await start(() => ({}), true);
    const body = exportRequest([[TRACE, '01'.repeat(8)]]);
    expect((await call(body)).error?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await call(body, 'not-a-known-token-at-all')).error?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await call(body, READ_TOKEN)).error?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(received).toHaveLength(0);
    expect((await call(body, INGEST_TOKEN)).error).toBeUndefined();
    expect(received).toHaveLength(1);
  });
});
