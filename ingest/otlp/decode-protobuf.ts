/**
 * OTLP/protobuf ExportTraceServiceRequest → the internal span model, read field by field with
 * protobufjs's Reader: nothing is built that derivation does not read (events, trace state and
 * dropped counts are skipped), and a bad span is rejected on its own instead of failing the request.
 *
 * Field numbers are those of opentelemetry-proto (trace/v1, common/v1, resource/v1, collector/trace/v1).
 *
 * Strings must be valid UTF-8 (proto3 says so): a span whose name, attributes, resource or scope
 * carry anything else is rejected with the field named, rather than stored with replacement characters.
 */
import { isUtf8 } from 'node:buffer';
import protobuf from 'protobufjs/minimal.js';
import type { AttrValue, Attributes, DecodedBatch, ResourceSpans, Scope, ScopeSpans, Span, SpanLink } from '../span.js';
import { InvalidPayloadError, tooManySpans } from './errors.js';
import {
  checkSpan,
  limitAttributes,
  limitSpan,
  limitString,
  noLimitCounts,
  TOO_DEEP,
  type DecodeLimits,
} from './validate.js';

const { Reader } = protobuf;
type Reader = protobuf.Reader;

const WIRE_LEN = 2;

/** Per-request decoding state: the limits, and the first string found not to be UTF-8 since the last reset. */
interface State {
  limits: DecodeLimits;
  badUtf8?: string;
  unknownEnums: number;
  /** the last trace id read, by position in the body (see hexId) */
  lastTrace: { start: number; len: number; text: string };
}

/** Reads a length prefix and moves past the bytes it announces: returns where they start (they end at `r.pos`). */
function delimited(r: Reader): number {
  const len = r.uint32();
  const start = r.pos;
  if (start + len > r.len) throw new RangeError(`index out of range: ${start} + ${len} > ${r.len}`);
  r.pos = start + len;
  return start;
}

/**
 * Reads a length-delimited string straight from the body (a Buffer, see decodeOtlpProtobuf): no
 * slice or view per string, and ASCII, by far the most common, skips the UTF-8 validation
 * (CPU profile: strings were ~15% of decoding).
 */
function str(r: Reader, s: State, what: string): string {
  const start = delimited(r);
  const end = r.pos;
  const buf = r.buf as Buffer;
  let i = start;
  while (i < end && buf[i]! < 0x80) i++;
  if (i === end) return buf.toString('latin1', start, end);
  if (!isUtf8(buf.subarray(start, end))) s.badUtf8 ??= what;
  return buf.toString('utf8', start, end);
}

/**
 * A length-delimited id as hex, read straight from the body (no Buffer per id, as `bytes()` makes).
 * `same`: an earlier id of the same request whose string is reused when the bytes are equal (the
 * spans of one trace sit together in a request, and the engine keeps every span's trace id for
 * ~20 s: one string per trace and request instead of one per span).
 */
function hexId(r: Reader, same?: { start: number; len: number; text: string }): string {
  const start = delimited(r);
  const end = r.pos;
  const len = end - start;
  const buf = r.buf as Buffer;
  if (same === undefined) return buf.toString('hex', start, end);
  if (same.len === len && same.text !== '') {
    let i = 0;
    while (i < len && buf[start + i] === buf[same.start + i]) i++;
    if (i === len) return same.text;
  }
  same.start = start;
  same.len = len;
  same.text = buf.toString('hex', start, end);
  return same.text;
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

function readAnyValue(r: Reader, end: number, depth: number, s: State, key: string): AttrValue {
  let value: AttrValue = null;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        value = str(r, s, `attribute "${key}"`);
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
        value = depth >= s.limits.maxDepth ? skipTo(r, r.pos + len) : readArray(r, r.pos + len, depth + 1, s, key);
        break;
      }
      case 6: {
        const len = r.uint32();
        value = depth >= s.limits.maxDepth ? skipTo(r, r.pos + len) : readKvList(r, r.pos + len, depth + 1, s);
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

function readArray(r: Reader, end: number, depth: number, s: State, key: string): AttrValue[] {
  const values: AttrValue[] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === WIRE_LEN) {
      const len = r.uint32();
      values.push(readAnyValue(r, r.pos + len, depth, s, key));
    } else r.skipType(tag & 7);
  }
  return values;
}

function readKvList(r: Reader, end: number, depth: number, s: State): { [key: string]: AttrValue } {
  const out: { [key: string]: AttrValue } = {};
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === WIRE_LEN) {
      const len = r.uint32();
      readKeyValue(r, r.pos + len, out, depth, s);
    } else r.skipType(tag & 7);
  }
  return out;
}

function readKeyValue(r: Reader, end: number, into: Attributes, depth: number, s: State): void {
  let key = '';
  let value: AttrValue = null;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        key = str(r, s, 'an attribute key');
        break;
      case 2: {
        const len = r.uint32();
        value = readAnyValue(r, r.pos + len, depth, s, key.slice(0, 64));
        break;
      }
      default:
        r.skipType(tag & 7);
    }
  }
  // A key such as "__proto__" must stay an ordinary attribute, which only defineProperty makes it; for
  // every other key, assignment keeps the object in V8's fast layout (defineProperty per attribute
  // was 7.6% of the worker's CPU, the largest single function).
  if (key === '__proto__')
    Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true });
  else into[key] = value;
}

function readResource(r: Reader, end: number, s: State): Attributes {
  const attributes: Attributes = {};
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === WIRE_LEN) {
      const len = r.uint32();
      readKeyValue(r, r.pos + len, attributes, 0, s);
    } else r.skipType(tag & 7);
  }
  return attributes;
}

function readScope(r: Reader, end: number, s: State): Scope {
  const scope: Scope = { name: '', version: '' };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        scope.name = str(r, s, 'scope name');
        break;
      case 2:
        scope.version = str(r, s, 'scope version');
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
        link.traceId = hexId(r);
        break;
      case 2:
        link.spanId = hexId(r);
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  return link;
}

function readStatus(r: Reader, end: number): number {
  let code = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 3) code = r.int32();
    else r.skipType(tag & 7);
  }
  return code;
}

function readSpan(r: Reader, end: number, s: State): Span {
  let kind = 0;
  let status = 0;
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
        span.traceId = hexId(r, s.lastTrace);
        break;
      case 2:
        span.spanId = hexId(r);
        break;
      case 4:
        span.parentSpanId = hexId(r);
        break;
      case 5:
        span.name = str(r, s, 'name');
        break;
      case 6:
        kind = r.int32();
        break;
      case 7:
        span.startMs = nanosToMs(r);
        break;
      case 8:
        span.endMs = nanosToMs(r);
        break;
      case 9: {
        const len = r.uint32();
        readKeyValue(r, r.pos + len, span.attributes, 0, s);
        break;
      }
      case 13: {
        const len = r.uint32();
        span.links.push(readLink(r, r.pos + len));
        break;
      }
      case 15: {
        const len = r.uint32();
        status = readStatus(r, r.pos + len);
        break;
      }
      default:
        r.skipType(tag & 7);
    }
  }
  const knownKind = kind >= 0 && kind <= 5;
  const knownStatus = status >= 0 && status <= 2;
  if (!knownKind || !knownStatus) s.unknownEnums++;
  span.kind = (knownKind ? kind : 0) as Span['kind'];
  span.status = (knownStatus ? status : 0) as Span['status'];
  return span;
}

/** Decodes a protobuf ExportTraceServiceRequest; throws InvalidPayloadError when it is not one. */
export function decodeOtlpProtobuf(body: Uint8Array, limits: DecodeLimits): DecodedBatch {
  // A Buffer view (no copy) of the body, which str() reads strings from.
  const r = Reader.create(Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  const batch: ResourceSpans[] = [];
  const rejected: DecodedBatch['rejected'] = [];
  const counts = noLimitCounts();
  const state: State = { limits, unknownEnums: 0, lastTrace: { start: 0, len: 0, text: '' } };
  let spanCount = 0;
  let seen = 0;
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
      const located: Located[] = [];
      let badResource: string | undefined;
      while (r.pos < rsEnd) {
        const t = r.uint32();
        const field = t >>> 3;
        if ((field === 1 || field === 2) && (t & 7) === WIRE_LEN) {
          const end = r.uint32() + r.pos;
          if (field === 1) {
            state.badUtf8 = undefined;
            rs.resource = readResource(r, end, state);
            badResource = state.badUtf8;
          } else {
            const at = `resourceSpans[${ri}].scopeSpans[${rs.scopeSpans.length}]`;
            rs.scopeSpans.push(readScopeSpans(r, end, at, located));
          }
        } else r.skipType(t & 7);
      }
      // The resource may come after its spans on the wire, so its verdict is applied once all is read.
      if (badResource) {
        for (const l of located) rejected.push({ at: l.at, message: `resource ${badResource} is not valid UTF-8` });
        for (const ss of rs.scopeSpans) ss.spans = [];
      } else spanCount += located.length;
      rs.resource = limitAttributes(rs.resource, limits, counts);
      batch.push(rs);
    }
  } catch (error) {
    if (error instanceof InvalidPayloadError) throw error;
    throw new InvalidPayloadError(`not an OTLP ExportTraceServiceRequest: ${(error as Error).message}`);
  }

  /** Reads one ScopeSpans; its accepted spans are also listed in `located`, for the resource's verdict. */
  function readScopeSpans(r: Reader, end: number, at: string, located: Located[]): ScopeSpans {
    const ss: ScopeSpans = { scope: { name: '', version: '' }, spans: [] };
    const mine: Located[] = [];
    let badScope: string | undefined;
    let index = 0;
    while (r.pos < end) {
      const tag = r.uint32();
      const field = tag >>> 3;
      if ((field === 1 || field === 2) && (tag & 7) === WIRE_LEN) {
        const len = r.uint32();
        state.badUtf8 = undefined;
        if (field === 1) {
          ss.scope = readScope(r, r.pos + len, state);
          badScope = state.badUtf8;
        } else {
          if (++seen > limits.maxSpans) throw tooManySpans(limits.maxSpans);
          const spanAt = `${at}.spans[${index++}]`;
          const span = readSpan(r, r.pos + len, state);
          const problem = state.badUtf8 ? `${state.badUtf8} is not valid UTF-8` : checkSpan(span, limits);
          if (problem !== undefined) rejected.push({ at: spanAt, message: problem });
          else {
            limitSpan(span, limits, counts);
            ss.spans.push(span);
            mine.push({ at: spanAt });
          }
        }
      } else r.skipType(tag & 7);
    }
    if (badScope) {
      for (const l of mine) rejected.push({ at: l.at, message: `${badScope} is not valid UTF-8` });
      ss.spans = [];
    } else located.push(...mine);
    ss.scope.name = limitString(ss.scope.name, limits, counts);
    ss.scope.version = limitString(ss.scope.version, limits, counts);
    return ss;
  }

  counts.unknownEnums = state.unknownEnums;
  return { batch, spanCount, rejected, limited: counts };
}

interface Located {
  at: string;
}
