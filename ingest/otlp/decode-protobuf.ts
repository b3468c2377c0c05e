/**
 * OTLP/protobuf ExportTraceServiceRequest → the internal span model, read field by field with
 * protobufjs's Reader (and attributes in the layout SDKs write from the bytes in place, see
 * `shortKeyValueKey`): nothing is built that derivation does not read (events, trace state and
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
import { bytesHex, bytesWords, ID_FLAGS, ID_STRIDE } from '../hex.js';
import { ANY_KEY, bitsOfKey } from '../semconv.js';
import { createAttributeKeys, type AttributeKey, type AttributeKeys } from './attribute-keys.js';
import { shortAscii } from './ascii-strings.js';
import { knownResource, rememberResource, resourceHash } from './resource-table.js';
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
  /** the key table; unless it keeps all, span attributes it does not keep are checked, not built */
  keys: AttributeKeys;
  /** set by a span read with attributes left out when only a whole read can tell what the limits do */
  needWhole: boolean;
  badUtf8?: string;
  unknownEnums: number;
  /** the last trace id read, by position in the body (see hexId) */
  lastTrace: { start: number; len: number; text: string };
  /** the ids' words of the spans read so far, `ID_STRIDE` a span (`DecodedBatch.idColumn`) */
  idColumn: Uint32Array;
  /** spans given a place in `idColumn` */
  idSpans: number;
}

/** A span's place in `s.idColumn`, which grows to hold it. */
function idPlace(s: State): number {
  const at = s.idSpans++ * ID_STRIDE;
  if (at + ID_STRIDE > s.idColumn.length) {
    const grown = new Uint32Array(2 * s.idColumn.length + ID_STRIDE);
    grown.set(s.idColumn);
    s.idColumn = grown;
  }
  return at;
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
function str(r: Reader, s: State, what: string, attributeKey?: string): string {
  const start = delimited(r);
  return textAt(r.buf as Buffer, start, r.pos, s, what, attributeKey);
}

/** `buf[start, end)` as `str` reads a string. */
function textAt(buf: Buffer, start: number, end: number, s: State, what: string, attributeKey?: string): string {
  const short = shortAscii(buf, start, end);
  if (short !== undefined) return short;
  if (isAscii(buf, start, end)) return buf.toString('latin1', start, end);
  // An attribute's value is named by its key (cut to 64 characters), made into a message only when bad.
  if (!isUtf8(buf.subarray(start, end)))
    s.badUtf8 ??= attributeKey === undefined ? what : `attribute "${attributeKey.slice(0, 64)}"`;
  return buf.toString('utf8', start, end);
}

function isAscii(buf: Buffer, start: number, end: number): boolean {
  let i = start;
  while (i < end && buf[i]! < 0x80) i++;
  return i === end;
}

/** Reads an attribute key through the key table: one string per distinct key, not one per attribute. */
function attributeKey(r: Reader, s: State): AttributeKey {
  const start = delimited(r);
  const key = s.keys.lookup(r.buf as Buffer, start, r.pos);
  if (!key.utf8) s.badUtf8 ??= 'an attribute key';
  return key;
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
  if (same === undefined) return bytesHex(buf, start, end);
  if (same.len === len && same.text !== '') {
    let i = 0;
    while (i < len && buf[start + i] === buf[same.start + i]) i++;
    if (i === len) return same.text;
  }
  same.start = start;
  same.len = len;
  same.text = bytesHex(buf, start, end);
  return same.text;
}

function nanosToMs(r: Reader): number {
  // fixed64 as two 32-bit halves: a double keeps well under a microsecond of precision here. Read
  // from the bytes in place: protobufjs's fixed32() hands back each half above 2^31 as a heap number.
  const at = r.pos;
  if (at + 8 > r.len) return (r.fixed32() + r.fixed32() * 4294967296) / 1e6;
  const b = r.buf;
  r.pos = at + 8;
  const lo = (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 16777216;
  const hi = (b[at + 4]! | (b[at + 5]! << 8) | (b[at + 6]! << 16)) + b[at + 7]! * 16777216;
  return (hi * 4294967296 + lo) / 1e6;
}

/**
 * An int64 attribute value. A varint of up to seven bytes (a value below 2^49: status codes, sizes,
 * counts) is summed in place, where protobufjs's int64() makes an object for every value (~24 bytes
 * a span); protobufjs reads the rest (negative values, larger ones, a value cut short) as before.
 */
function int64ToNumber(r: Reader): number {
  const b = r.buf;
  const end = Math.min(r.len, r.pos + 7);
  let value = 0;
  let scale = 1;
  for (let at = r.pos; at < end; at++) {
    const byte = b[at]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      r.pos = at + 1;
      return value;
    }
    scale *= 128;
  }
  const v = r.int64() as unknown as number | { toNumber(): number };
  return typeof v === 'number' ? v : v.toNumber();
}

function readAnyValue(r: Reader, end: number, depth: number, s: State, key: string): AttrValue {
  let value: AttrValue = null;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        value = str(r, s, 'an attribute', key);
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
  const key = shortKeyValueKey(r, end, s);
  if (key === undefined) readKeyValueAnyLayout(r, end, into, depth, s);
  else setAttribute(into, key.text, shortValue(r, end, depth, s, key));
}

/** A KeyValue in any layout (see `shortKeyValueKey`). */
function readKeyValueAnyLayout(r: Reader, end: number, into: Attributes, depth: number, s: State): void {
  let key = '';
  let value: AttrValue = null;
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        key = attributeKey(r, s).text;
        break;
      case 2: {
        const len = r.uint32();
        value = readAnyValue(r, r.pos + len, depth, s, key);
        break;
      }
      default:
        r.skipType(tag & 7);
    }
  }
  setAttribute(into, key, value);
}

function setAttribute(into: Attributes, key: string, value: AttrValue): void {
  // A key such as "__proto__" must stay an ordinary attribute, which only defineProperty makes it; for
  // every other key, assignment keeps the object in V8's fast layout (defineProperty per attribute
  // was 7.6% of the worker's CPU, the largest single function).
  if (key === '__proto__')
    Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true });
  else into[key] = value;
}

/**
 * A span attribute when the key table leaves some out: a kept key is read as `readKeyValue` reads it;
 * any other has its strings checked for UTF-8 (a bad one still rejects the span) and nothing built.
 * Whatever only a whole read can answer exactly (a value the limits would cut, a nested list the
 * limits would trim, a field in an unexpected order or wire type) sets `needWhole` instead.
 * Returns the key's bits for the span's `keyBits` when the attribute was built, else 0.
 */
function readSpanKeyValue(r: Reader, end: number, into: Attributes, s: State): number {
  const key = shortKeyValueKey(r, end, s);
  if (key === undefined) return readSpanKeyValueAnyLayout(r, end, into, s);
  if (!key.kept) {
    if (!checkAnyValue(r, end, 0, s, key)) s.needWhole = true;
    return 0;
  }
  setAttribute(into, key.text, shortValue(r, end, 0, s, key));
  return key.bits;
}

/** Field tags of a KeyValue (key 1, value 2) and of an AnyValue's string (1), as the bytes spell them. */
const KEY_TAG = (1 << 3) | WIRE_LEN;
const VALUE_TAG = (2 << 3) | WIRE_LEN;
const STRING_TAG = (1 << 3) | WIRE_LEN;

/**
 * The layout every SDK writes, read from the bytes in place: the key, then the value, each shorter than
 * 128 bytes (a one-byte length), the value ending the KeyValue at `end`. Its key, and the reader left
 * at the value (see `shortValue`); undefined, the reader not moved, for any other layout, which
 * protobufjs's reads take as before. Those cost a call and a bounds check per varint, five or six an
 * attribute (docs/benchmarks.md items 167 and 168).
 */
function shortKeyValueKey(r: Reader, end: number, s: State): AttributeKey | undefined {
  const buf = r.buf as Buffer;
  const at = r.pos;
  const keyLen = buf[at + 1]!;
  const valueAt = at + 4 + keyLen;
  const valueLen = buf[valueAt - 1]!;
  if (
    buf[at] !== KEY_TAG ||
    keyLen >= 0x80 ||
    buf[valueAt - 2] !== VALUE_TAG ||
    valueLen >= 0x80 ||
    valueAt + valueLen !== end ||
    end > r.len
  )
    return undefined;
  const key = s.keys.lookup(buf, at + 2, at + 2 + keyLen);
  if (!key.utf8) s.badUtf8 ??= 'an attribute key';
  r.pos = valueAt;
  return key;
}

/** The value `shortKeyValueKey` left the reader at: a text, its only field, from the bytes in place; any other as `readAnyValue` reads it. */
function shortValue(r: Reader, end: number, depth: number, s: State, key: AttributeKey): AttrValue {
  const buf = r.buf as Buffer;
  const at = r.pos;
  if (buf[at] === STRING_TAG && buf[at + 1] === end - at - 2) {
    r.pos = end;
    return textAt(buf, at + 2, end, s, 'an attribute', key.text);
  }
  return readAnyValue(r, end, depth, s, key.text);
}

/** A span attribute in any layout (see `readSpanKeyValue`). */
function readSpanKeyValueAnyLayout(r: Reader, end: number, into: Attributes, s: State): number {
  let key: AttributeKey | undefined;
  let value: AttrValue = null;
  while (r.pos < end) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if ((field === 1 || field === 2) && ((tag & 7) !== WIRE_LEN || (field === 1) !== (key === undefined))) {
      s.needWhole = true;
      return 0;
    }
    if (field === 1) key = attributeKey(r, s);
    else if (field === 2) {
      const valueEnd = r.uint32() + r.pos;
      if (key!.kept) value = readAnyValue(r, valueEnd, 0, s, key!.text);
      else if (!checkAnyValue(r, valueEnd, 0, s, key!)) {
        s.needWhole = true;
        return 0;
      }
    } else r.skipType(tag & 7);
  }
  if (key === undefined) s.needWhole = true;
  else if (key.kept) {
    setAttribute(into, key.text, value);
    return key.bits;
  }
  return 0;
}

/**
 * Reads past an attribute value left out, checking its strings as `readAnyValue` would; false when
 * it holds what the limits act on (a string or bytes past the length limit, a key-value list), so
 * that only a whole read counts it exactly.
 */
function checkAnyValue(r: Reader, end: number, depth: number, s: State, key: AttributeKey): boolean {
  const { maxValueLength, maxDepth } = s.limits;
  // Each field is read past with the same reads `readAnyValue` makes, so that a malformed value fails alike.
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1: {
        const start = delimited(r);
        // UTF-8 takes at least as many bytes as UTF-16 takes units: within the limit in bytes is within it.
        if (r.pos - start > maxValueLength) return false;
        const buf = r.buf as Buffer;
        if (!isAscii(buf, start, r.pos) && !isUtf8(buf.subarray(start, r.pos)))
          s.badUtf8 ??= `attribute "${key.text.slice(0, 64)}"`;
        break;
      }
      case 2:
        r.bool();
        break;
      case 3:
        r.int64();
        break;
      case 4:
        r.double();
        break;
      case 5: {
        const arrayEnd = r.uint32() + r.pos;
        if (depth >= maxDepth) {
          if (TOO_DEEP.length > maxValueLength) return false;
          skipTo(r, arrayEnd);
        } else if (!checkArray(r, arrayEnd, depth + 1, s, key)) return false;
        break;
      }
      case 7: {
        const start = delimited(r);
        if (Math.ceil((r.pos - start) / 3) * 4 > maxValueLength) return false;
        break;
      }
      case 6:
        return false;
      default:
        r.skipType(tag & 7);
    }
  }
  return true;
}

function checkArray(r: Reader, end: number, depth: number, s: State, key: AttributeKey): boolean {
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === WIRE_LEN) {
      const len = r.uint32();
      if (!checkAnyValue(r, r.pos + len, depth, s, key)) return false;
    } else r.skipType(tag & 7);
  }
  return true;
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

/** The links of a span without any, shared (the engine only reads them); a span's first link gets it its own array. */
const NO_LINKS: SpanLink[] = [];

/**
 * One span. `whole`: every attribute is built, as the key table then keeps them all; otherwise only
 * those it keeps, and undefined comes back when `needWhole` says the span must be read whole.
 */
function readSpan(r: Reader, end: number, s: State, whole: boolean, idAt: number): Span | undefined {
  let kind = 0;
  let status = 0;
  let attributes = 0;
  let idFlags = 0;
  const buf = r.buf;
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
    links: NO_LINKS,
    // Every attribute a whole read builds is left for the accessors to look for.
    keyBits: whole ? ANY_KEY : 0,
    idAt,
  };
  while (r.pos < end) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      // Each id's words too, from its bytes, for the engine's keys. Only 16-byte trace and 8-byte span
      // ids are the model's (ingest/otlp/validate.ts refuses a span with any other), so no other is flagged.
      case 1:
        span.traceId = hexId(r, s.lastTrace);
        idFlags &= ~ID_FLAGS.trace;
        if (span.traceId.length === 32) {
          bytesWords(buf, r.pos - 16, 4, s.idColumn, idAt);
          idFlags |= ID_FLAGS.trace;
        }
        break;
      case 2:
        span.spanId = hexId(r);
        idFlags &= ~ID_FLAGS.span;
        if (span.spanId.length === 16) {
          bytesWords(buf, r.pos - 8, 2, s.idColumn, idAt + 4);
          idFlags |= ID_FLAGS.span;
        }
        break;
      case 4:
        span.parentSpanId = hexId(r);
        idFlags &= ~ID_FLAGS.parent;
        if (span.parentSpanId.length === 16) {
          bytesWords(buf, r.pos - 8, 2, s.idColumn, idAt + 6);
          // All zeros is no parent (ingest/otlp/validate.ts makes such a span a root).
          if ((s.idColumn[idAt + 6]! | s.idColumn[idAt + 7]!) !== 0) idFlags |= ID_FLAGS.parent;
        }
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
        if (whole) readKeyValue(r, r.pos + len, span.attributes, 0, s);
        else {
          // Past the count limit, which attributes the limit drops depends on those left out too.
          if (++attributes > s.limits.maxAttributes) s.needWhole = true;
          else span.keyBits! |= readSpanKeyValue(r, r.pos + len, span.attributes, s);
          if (s.needWhole) return undefined;
        }
        break;
      }
      case 13: {
        const len = r.uint32();
        if (span.links === NO_LINKS) span.links = [];
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
  s.idColumn[idAt + 8] = idFlags;
  return span;
}

/** Keys for callers that read every attribute themselves (importers, tests, tools). */
const EVERY_KEY = createAttributeKeys();

/**
 * Decodes a protobuf ExportTraceServiceRequest; throws InvalidPayloadError when it is not one.
 * `keys`: which span attributes to build (all unless told); the limits, their counts and every
 * validation error come out the same whichever are kept.
 */
export function decodeOtlpProtobuf(
  body: Uint8Array,
  limits: DecodeLimits,
  keys: AttributeKeys = EVERY_KEY,
): DecodedBatch {
  // A Buffer view (no copy) of the body, which str() reads strings from.
  const r = Reader.create(Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  const batch: ResourceSpans[] = [];
  const rejected: DecodedBatch['rejected'] = [];
  const counts = noLimitCounts();
  const state: State = {
    limits,
    keys,
    needWhole: false,
    unknownEnums: 0,
    lastTrace: { start: 0, len: 0, text: '' },
    // A place for every 128 bytes of body (the bench's requests hold a span for every ~240), up to 1,024
    // (36 KB): past that it doubles as spans come, so a large request of few spans holds a small column.
    idColumn: new Uint32Array(ID_STRIDE * Math.min(1024, Math.max(16, r.len >> 7))),
    idSpans: 0,
  };
  const leavesOut = !keys.keepsAll;
  /** whether the last span was read with all its attributes */
  let readWhole = !leavesOut;
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
      /** whether the resource was found in the table (its limits already applied) */
      let found = false;
      /** where the resource's bytes start and end when it was read from exactly them (-1: not so), and their hash */
      let resourceAt = -1;
      let resourceEnd = -1;
      let resourceKey: number | undefined;
      while (r.pos < rsEnd) {
        const t = r.uint32();
        const field = t >>> 3;
        if ((field === 1 || field === 2) && (t & 7) === WIRE_LEN) {
          const end = r.uint32() + r.pos;
          if (field === 1) {
            resourceKey = resourceHash(r.buf as Buffer, r.pos, end);
            const known =
              resourceKey === undefined ? undefined : knownResource(r.buf as Buffer, r.pos, end, resourceKey, limits);
            if (known !== undefined) {
              rs.resource = known;
              r.pos = end;
              badResource = undefined;
              found = true;
              continue;
            }
            found = false;
            const at = r.pos;
            state.badUtf8 = undefined;
            rs.resource = readResource(r, end, state);
            badResource = state.badUtf8;
            // Kept only when read from exactly its bytes: a nested length past its end reads on
            // (the bytes after it decide what it says, and whether it is refused).
            resourceAt = r.pos === end ? at : -1;
            resourceEnd = end;
          } else {
            const at = `resourceSpans[${ri}].scopeSpans[${rs.scopeSpans.length}]`;
            rs.scopeSpans.push(readScopeSpans(r, end, at, located));
          }
        } else r.skipType(t & 7);
      }
      // The resource may come after its spans on the wire, so its verdict is applied once all is read.
      if (badResource) {
        for (const l of located)
          for (const i of l.spans)
            rejected.push({ at: `${l.at}.spans[${i}]`, message: `resource ${badResource} is not valid UTF-8` });
        for (const ss of rs.scopeSpans) ss.spans = [];
      } else for (const l of located) spanCount += l.spans.length;
      if (!found) {
        const read = rs.resource;
        rs.resource = limitAttributes(read, limits, counts);
        if (resourceAt >= 0 && resourceKey !== undefined && !badResource && rs.resource === read)
          rememberResource(r.buf as Buffer, resourceAt, resourceEnd, resourceKey, limits, rs.resource);
      }
      batch.push(rs);
    }
  } catch (error) {
    if (error instanceof InvalidPayloadError) throw error;
    throw new InvalidPayloadError(`not an OTLP ExportTraceServiceRequest: ${(error as Error).message}`);
  }

  /**
   * One span, with only the attributes the key table keeps when it leaves some out; read again whole
   * when that read cannot tell exactly what the limits do, or fails (so that it fails as a whole read does).
   */
  function spanAt(r: Reader, end: number): Span {
    readWhole = !leavesOut;
    // One place for the span's ids, whichever read below gives the span.
    const idAt = idPlace(state);
    if (leavesOut) {
      const start = r.pos;
      const unknownEnums = state.unknownEnums;
      state.needWhole = false;
      try {
        const span = readSpan(r, end, state, false, idAt);
        if (span !== undefined) return span;
      } catch {
        // read again below
      }
      r.pos = start;
      state.badUtf8 = undefined;
      state.unknownEnums = unknownEnums;
      readWhole = true;
    }
    return readSpan(r, end, state, true, idAt)!;
  }

  /** Reads one ScopeSpans; the indexes of its accepted spans are listed in `located`, for the resource's verdict. */
  function readScopeSpans(r: Reader, end: number, at: string, located: Located[]): ScopeSpans {
    const ss: ScopeSpans = { scope: { name: '', version: '' }, spans: [] };
    const accepted: number[] = [];
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
          const i = index++;
          const span = spanAt(r, r.pos + len);
          const problem = state.badUtf8 ? `${state.badUtf8} is not valid UTF-8` : checkSpan(span, limits);
          if (problem !== undefined) rejected.push({ at: `${at}.spans[${i}]`, message: problem });
          else {
            limitSpan(span, limits, counts);
            if (leavesOut && readWhole) keepOnly(span, keys);
            ss.spans.push(span);
            accepted.push(i);
          }
        }
      } else r.skipType(tag & 7);
    }
    if (badScope) {
      for (const i of accepted) rejected.push({ at: `${at}.spans[${i}]`, message: `${badScope} is not valid UTF-8` });
      ss.spans = [];
    } else located.push({ at, spans: accepted });
    ss.scope.name = limitString(ss.scope.name, limits, counts);
    ss.scope.version = limitString(ss.scope.version, limits, counts);
    return ss;
  }

  counts.unknownEnums = state.unknownEnums;
  return { batch, spanCount, rejected, limited: counts, idColumn: state.idColumn };
}

/**
 * A span read whole left with the attributes the key table keeps (after the limits, so they count as
 * for any span), and its `keyBits` as a span read with only those gets them.
 */
function keepOnly(span: Span, keys: AttributeKeys): void {
  const out: Attributes = {};
  let bits = 0;
  for (const key of Object.keys(span.attributes))
    if (keys.keeps(key)) {
      setAttribute(out, key, span.attributes[key]!);
      bits |= bitsOfKey(key);
    }
  span.attributes = out;
  span.keyBits = bits;
}

/** A ScopeSpans's place in the request and the indexes of its accepted spans. */
interface Located {
  at: string;
  spans: number[];
}
