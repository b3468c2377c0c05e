/**
 * Hand-built OTLP requests, protobuf and JSON, for tests that need payloads no SDK would send
 * (raw bytes in strings, wrong id lengths, unknown enums, deep nesting).
 */
import { randomBytes } from 'node:crypto';
import protobuf from 'protobufjs/minimal.js';

export type RawValue = string | number | boolean | Uint8Array | RawValue[] | { [key: string]: RawValue };

export interface RawSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  /** a Uint8Array is written as-is, so it may be invalid UTF-8 */
  name?: string | Uint8Array;
  kind?: number;
  startNs?: bigint;
  endNs?: bigint;
  statusCode?: number;
  attributes?: Record<string, RawValue>;
}

export interface RawRequest {
  resource: Record<string, RawValue>;
  spans: RawSpan[];
}

export const newTraceId = () => randomBytes(16).toString('hex');
export const newSpanId = () => randomBytes(8).toString('hex');
export const nowNs = () => BigInt(Date.now()) * 1_000_000n;

/** A valid SERVER span of now, overridable field by field. */
export function rawSpan(over: RawSpan = {}): RawSpan {
  const start = nowNs() - 5_000_000n;
  return {
    traceId: newTraceId(),
    spanId: newSpanId(),
    name: 'GET /',
    kind: 2,
    startNs: start,
    endNs: start + 1_000_000n,
    ...over,
  };
}

type W = protobuf.Writer;

/** How KeyValues are laid out: `valueFirst` writes each value before its key (valid protobuf, written by no SDK). */
interface Layout {
  valueFirst?: boolean;
}

function writeAnyValue(w: W, v: RawValue, layout: Layout): void {
  if (v instanceof Uint8Array) w.uint32((1 << 3) | 2).bytes(v);
  else if (typeof v === 'string') w.uint32((1 << 3) | 2).string(v);
  else if (typeof v === 'boolean') w.uint32(2 << 3).bool(v);
  else if (typeof v === 'number') w.uint32(3 << 3).int64(v);
  else if (Array.isArray(v)) {
    w.uint32((5 << 3) | 2).fork();
    for (const x of v) {
      w.uint32((1 << 3) | 2).fork();
      writeAnyValue(w, x, layout);
      w.ldelim();
    }
    w.ldelim();
  } else {
    w.uint32((6 << 3) | 2).fork();
    for (const [k, x] of Object.entries(v)) writeKeyValue(w, 1, k, x, layout);
    w.ldelim();
  }
}

function writeKeyValue(w: W, field: number, key: string, v: RawValue, layout: Layout): void {
  w.uint32((field << 3) | 2).fork();
  if (!layout.valueFirst) w.uint32((1 << 3) | 2).string(key);
  w.uint32((2 << 3) | 2).fork();
  writeAnyValue(w, v, layout);
  w.ldelim();
  if (layout.valueFirst) w.uint32((1 << 3) | 2).string(key);
  w.ldelim();
}

function fixed64(w: W, field: number, ns: bigint): void {
  w.uint32((field << 3) | 1)
    .fixed32(Number(ns & 0xffffffffn))
    .fixed32(Number(ns >> 32n));
}

const hexBytes = (hex: string) => Buffer.from(hex, 'hex');

/** ExportTraceServiceRequest { resource_spans (1) { resource (1), scope_spans (2) { scope (1), spans (2) } } } */
export function encodeProtobuf(req: RawRequest, layout: Layout = {}): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 2).fork();
  w.uint32((1 << 3) | 2).fork();
  for (const [k, v] of Object.entries(req.resource)) writeKeyValue(w, 1, k, v, layout);
  w.ldelim();
  w.uint32((2 << 3) | 2).fork();
  w.uint32((1 << 3) | 2)
    .fork()
    .uint32((1 << 3) | 2)
    .string('hostile-test')
    .ldelim();
  for (const s of req.spans) {
    w.uint32((2 << 3) | 2).fork();
    if (s.traceId !== undefined) w.uint32((1 << 3) | 2).bytes(hexBytes(s.traceId));
    if (s.spanId !== undefined) w.uint32((2 << 3) | 2).bytes(hexBytes(s.spanId));
    if (s.parentSpanId) w.uint32((4 << 3) | 2).bytes(hexBytes(s.parentSpanId));
    if (s.name instanceof Uint8Array) w.uint32((5 << 3) | 2).bytes(s.name);
    else if (s.name !== undefined) w.uint32((5 << 3) | 2).string(s.name);
    if (s.kind !== undefined) w.uint32(6 << 3).int32(s.kind);
    if (s.startNs !== undefined) fixed64(w, 7, s.startNs);
    if (s.endNs !== undefined) fixed64(w, 8, s.endNs);
    for (const [k, v] of Object.entries(s.attributes ?? {})) writeKeyValue(w, 9, k, v, layout);
    if (s.statusCode !== undefined)
      w.uint32((15 << 3) | 2)
        .fork()
        .uint32(3 << 3)
        .int32(s.statusCode)
        .ldelim();
    w.ldelim();
  }
  w.ldelim();
  w.ldelim();
  return w.finish();
}

function jsonValue(v: RawValue): unknown {
  if (v instanceof Uint8Array) return { bytesValue: Buffer.from(v).toString('base64') };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return { intValue: String(v) };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(jsonValue) } };
  return { kvlistValue: { values: jsonAttributes(v) } };
}

const jsonAttributes = (a: Record<string, RawValue>) =>
  Object.entries(a).map(([key, v]) => ({ key, value: jsonValue(v) }));

/** The same request as OTLP/JSON (an object; JSON.stringify it to send). */
export function encodeJson(req: RawRequest): Record<string, unknown> {
  return {
    resourceSpans: [
      {
        resource: { attributes: jsonAttributes(req.resource) },
        scopeSpans: [
          {
            scope: { name: 'hostile-test' },
            spans: req.spans.map((s) => ({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId,
              name: s.name instanceof Uint8Array ? Buffer.from(s.name).toString('latin1') : s.name,
              kind: s.kind,
              startTimeUnixNano: s.startNs?.toString(),
              endTimeUnixNano: s.endNs?.toString(),
              attributes: jsonAttributes(s.attributes ?? {}),
              status: s.statusCode === undefined ? undefined : { code: s.statusCode },
            })),
          },
        ],
      },
    ],
  };
}
