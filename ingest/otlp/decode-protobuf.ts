/**
 * OTLP/protobuf ExportTraceServiceRequest → the internal span model, read field by field with
 * protobufjs's Reader: nothing is built that derivation does not read (events, trace state and
 * dropped counts are skipped), and a bad span is rejected on its own instead of failing the request.
 *
 * Field numbers are those of opentelemetry-proto (trace/v1, common/v1, resource/v1, collector/trace/v1).
 */
import protobuf from 'protobufjs/minimal.js';
import type { AttrValue, Attributes, DecodedBatch, ResourceSpans, Scope, ScopeSpans, Span, SpanLink } from '../span.js';
import { InvalidPayloadError } from './errors.js';
import { checkSpanIds, MAX_ATTRIBUTE_DEPTH, TOO_DEEP } from './validate.js';

const { Reader } = protobuf;
type Reader = protobuf.Reader;

const WIRE_LEN = 2;

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function nanosToMs(r: Reader): number {
  // fixed64 as two 32-bit halves: a double keeps well under a microsecond of precision here.
  const lo = r.fixed32();
  const hi = r.fixed32();
  return (hi * 4294967296 + lo) / 1e6;
}

function int64ToNumber(r: Reader): number {
  const v = r.int64() as unknown as number | { toNumber(): number };
  return typeof v === 'number' ? v : v.toNumber();
}

function readAnyValue(r: Reader, end: number, depth: number): AttrValue {
  let value: AttrValue = null;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        value = r.string();
        break;
      case 2:
        value = r.bool();
        break;
      case 3:
        value = int64ToNumber(r);
        break;
      case 4:
        value = r.double();
        break;
      case 5: {
        const len = r.uint32();
        value = depth >= MAX_ATTRIBUTE_DEPTH ? skipTo(r, r.pos + len) : readArray(r, r.pos + len, depth + 1);
        break;
      }
      case 6: {
        const len = r.uint32();
        value = depth >= MAX_ATTRIBUTE_DEPTH ? skipTo(r, r.pos + len) : readKvList(r, r.pos + len, depth + 1);
        break;
      }
      case 7:
        value = Buffer.from(r.bytes()).toString('base64');
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  return value;
}

function skipTo(r: Reader, end: number): string {
  r.pos = end;
  return TOO_DEEP;
}

function readArray(r: Reader, end: number, depth: number): AttrValue[] {
  const values: AttrValue[] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === WIRE_LEN) {
      const len = r.uint32();
      values.push(readAnyValue(r, r.pos + len, depth));
    } else r.skipType(tag & 7);
  }
  return values;
}

function readKvList(r: Reader, end: number, depth: number): { [key: string]: AttrValue } {
  const out: { [key: string]: AttrValue } = {};
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === WIRE_LEN) {
      const len = r.uint32();
      readKeyValue(r, r.pos + len, out, depth);
    } else r.skipType(tag & 7);
  }
  return out;
}

function readKeyValue(r: Reader, end: number, into: Attributes, depth: number): void {
  let key = '';
  let value: AttrValue = null;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        key = r.string();
        break;
      case 2: {
        const len = r.uint32();
        value = readAnyValue(r, r.pos + len, depth);
        break;
      }
      default:
        r.skipType(tag & 7);
    }
  }
  into[key] = value;
}

function readResource(r: Reader, end: number): Attributes {
  const attributes: Attributes = {};
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === WIRE_LEN) {
      const len = r.uint32();
      readKeyValue(r, r.pos + len, attributes, 0);
    } else r.skipType(tag & 7);
  }
  return attributes;
}

function readScope(r: Reader, end: number): Scope {
  const scope: Scope = { name: '', version: '' };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        scope.name = r.string();
        break;
      case 2:
        scope.version = r.string();
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  return scope;
}

function readLink(r: Reader, end: number): SpanLink {
  const link: SpanLink = { traceId: '', spanId: '' };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        link.traceId = hex(r.bytes());
        break;
      case 2:
        link.spanId = hex(r.bytes());
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  return link;
}

function readStatus(r: Reader, end: number): 0 | 1 | 2 {
  let code = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 3) code = r.int32();
    else r.skipType(tag & 7);
  }
  return code === 1 || code === 2 ? code : 0;
}

function readSpan(r: Reader, end: number): Span {
  const span: Span = {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    name: '',
    kind: 0,
    startMs: 0,
    endMs: 0,
    status: 0,
    attributes: {},
    links: [],
  };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        span.traceId = hex(r.bytes());
        break;
      case 2:
        span.spanId = hex(r.bytes());
        break;
      case 4:
        span.parentSpanId = hex(r.bytes());
        break;
      case 5:
        span.name = r.string();
        break;
      case 6: {
        const kind = r.int32();
        // Unknown future kinds are read as UNSPECIFIED rather than refused.
        span.kind = (kind >= 0 && kind <= 5 ? kind : 0) as Span['kind'];
        break;
      }
      case 7:
        span.startMs = nanosToMs(r);
        break;
      case 8:
        span.endMs = nanosToMs(r);
        break;
      case 9: {
        const len = r.uint32();
        readKeyValue(r, r.pos + len, span.attributes, 0);
        break;
      }
      case 13: {
        const len = r.uint32();
        span.links.push(readLink(r, r.pos + len));
        break;
      }
      case 15: {
        const len = r.uint32();
        span.status = readStatus(r, r.pos + len);
        break;
      }
      default:
        r.skipType(tag & 7);
    }
  }
  return span;
}

/** Decodes a protobuf ExportTraceServiceRequest; throws InvalidPayloadError when it is not one. */
export function decodeOtlpProtobuf(body: Uint8Array): DecodedBatch {
  const r = Reader.create(body);
  const batch: ResourceSpans[] = [];
  const rejected: DecodedBatch['rejected'] = [];
  let spanCount = 0;
  try {
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag >>> 3 !== 1 || (tag & 7) !== WIRE_LEN) {
        r.skipType(tag & 7);
        continue;
      }
      const rsEnd = r.uint32() + r.pos;
      const rs: ResourceSpans = { resource: {}, scopeSpans: [] };
      const ri = batch.length;
      while (r.pos < rsEnd) {
        const t = r.uint32();
        const field = t >>> 3;
        if ((field === 1 || field === 2) && (t & 7) === WIRE_LEN) {
          const end = r.uint32() + r.pos;
          if (field === 1) rs.resource = readResource(r, end);
          else rs.scopeSpans.push(readScopeSpans(r, end, `resourceSpans[${ri}].scopeSpans[${rs.scopeSpans.length}]`));
        } else r.skipType(t & 7);
      }
      batch.push(rs);
    }
  } catch (error) {
    throw new InvalidPayloadError(`not an OTLP ExportTraceServiceRequest: ${(error as Error).message}`);
  }

  function readScopeSpans(r: Reader, end: number, at: string): ScopeSpans {
    const ss: ScopeSpans = { scope: { name: '', version: '' }, spans: [] };
    let index = 0;
    while (r.pos < end) {
      const tag = r.uint32();
      const field = tag >>> 3;
      if ((field === 1 || field === 2) && (tag & 7) === WIRE_LEN) {
        const len = r.uint32();
        if (field === 1) ss.scope = readScope(r, r.pos + len);
        else {
          const span = readSpan(r, r.pos + len);
          const problem = checkSpanIds(span);
          if (problem) rejected.push({ at: `${at}.spans[${index}]`, message: problem });
          else {
            ss.spans.push(span);
            spanCount++;
          }
          index++;
        }
      } else r.skipType(tag & 7);
    }
    return ss;
  }

  return { batch, spanCount, rejected };
}
