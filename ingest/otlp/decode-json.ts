/**
 * OTLP/JSON ExportTraceServiceRequest → the internal span model.
 *
 * Spec-compliant OTLP/JSON uses hex ids and integer enums, but real payloads also come in the
 * Go-protobuf (jsonpb) style that Tempo and others emit: base64 ids, enum names, int64 as strings.
 * Both are accepted, as are the pre-1.0 `instrumentationLibrarySpans` names and Tempo's
 * trace-by-id response (`{batches: [...]}`). A bad span is rejected on its own; only a body that is
 * not a request at all throws.
 */
import type {
  AttrValue,
  Attributes,
  DecodedBatch,
  ResourceSpans,
  Scope,
  ScopeSpans,
  Span,
  SpanLink,
  SpanProblem,
} from '../span.js';
import { SpanKind, StatusCode } from '../span.js';
import { InvalidPayloadError, tooManySpans } from './errors.js';
import {
  checkSpan,
  checkSpanIds,
  illFormedAttribute,
  illFormedField,
  isWellFormed,
  limitAttributes,
  limitSpan,
  limitString,
  noLimitCounts,
  TOO_DEEP,
  type DecodeLimits,
  type LimitCounts,
} from './validate.js';

type JsonObject = Record<string, unknown>;

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const asString = (v: unknown): string => (typeof v === 'string' ? v : '');

// Maps, not object literals: a lookup of a name such as "constructor" must not hit Object.prototype.
const KIND_BY_NAME = new Map<string, SpanKind>(Object.entries(SpanKind));
const STATUS_BY_NAME = new Map<string, StatusCode>(Object.entries(StatusCode));

/** A span kind given as an integer, a numeric string, or a name (`SPAN_KIND_SERVER`, `server`); undefined when it is none. */
export function knownSpanKind(value: unknown): SpanKind | undefined {
  if (value === undefined || value === null) return SpanKind.UNSPECIFIED;
  if (typeof value === 'number')
    return Number.isInteger(value) && value >= 0 && value <= 5 ? (value as SpanKind) : undefined;
  if (typeof value !== 'string') return undefined;
  const name = value.trim().toUpperCase();
  if (/^\d+$/.test(name)) return knownSpanKind(Number(name));
  return KIND_BY_NAME.get(name.replace(/^SPAN_KIND_/, ''));
}

/** As knownSpanKind, lenient: anything unknown is UNSPECIFIED (importers of other formats). */
export function parseSpanKind(value: unknown): SpanKind {
  return knownSpanKind(value) ?? SpanKind.UNSPECIFIED;
}

/** A status code given as an integer or a name (`STATUS_CODE_ERROR`, `ERROR`); undefined when it is none. */
export function knownStatusCode(value: unknown): StatusCode | undefined {
  if (value === undefined || value === null) return StatusCode.UNSET;
  if (typeof value === 'number') return value === 0 || value === 1 || value === 2 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const name = value.trim().toUpperCase();
  if (/^\d+$/.test(name)) return knownStatusCode(Number(name));
  return STATUS_BY_NAME.get(name.replace(/^STATUS_CODE_/, ''));
}

/** As knownStatusCode, lenient: anything unknown is UNSET. */
export function parseStatusCode(value: unknown): StatusCode {
  return knownStatusCode(value) ?? StatusCode.UNSET;
}

const HEX = /^[0-9a-fA-F]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}==?|[A-Za-z0-9+/_-]{3}=?)?$/;

export type ParsedId = { id: string } | { error: string };

/**
 * A trace id (16 bytes) or span id (8 bytes) as lower-case hex. Accepts hex in either case and
 * base64 (standard or URL-safe). With `pad`, short hex is left-padded with zeros: Zipkin's 64-bit
 * trace ids, and Jaeger ids whose leading zeros were dropped. '' stays ''.
 */
export function parseId(value: unknown, bytes: 8 | 16, field: string, pad = false): ParsedId {
  if (value === undefined || value === null || value === '') return { id: '' };
  if (typeof value !== 'string') return { error: `${field} is a ${typeof value}, not a string` };
  const digits = bytes * 2;
  if (HEX.test(value)) {
    if (value.length === digits || (pad && value.length < digits))
      return { id: value.toLowerCase().padStart(digits, '0') };
  }
  // An all-hex string can also be valid base64, so base64 is only believed when it decodes to exactly the right size.
  if (BASE64.test(value)) {
    const decoded = Buffer.from(value, 'base64');
    if (decoded.length === bytes) return { id: decoded.toString('hex') };
  }
  const shown = value.length > 48 ? `${value.slice(0, 48)}…` : value;
  if (HEX.test(value)) return { error: `${field} "${shown}" has ${value.length} hex digits, expected ${digits}` };
  return { error: `${field} "${shown}" is not ${bytes} bytes of hex or base64` };
}

/** The reasons shared by every importer for refusing a span's ids or times (wording of validate.ts). */
export function spanProblem(span: Span): string | undefined {
  if (span.traceId === '') return 'traceId is missing';
  if (span.spanId === '') return 'spanId is missing';
  return checkSpanIds(span);
}

const NS_PER_MS = 1_000_000n;
const nanosBigToMs = (ns: bigint): number => Number(ns / NS_PER_MS) + Number(ns % NS_PER_MS) / 1e6;

/**
 * Unix nanoseconds (a number or a decimal string, as int64 may be in JSON) → fractional ms.
 * BigInt keeps the nanoseconds exact before dividing; a double cannot hold 19 digits.
 * Missing is 0 (the protobuf default); anything else that is not an unsigned integer is undefined.
 */
export function nanosToMs(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return 0;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return undefined;
    return Number.isSafeInteger(value) ? nanosBigToMs(BigInt(value)) : value / 1e6;
  }
  if (typeof value === 'string' && /^\d+$/.test(value)) return nanosBigToMs(BigInt(value));
  return undefined;
}

/** An OTLP AnyValue → a plain JS value. `depth` counts the arrays/kvlists around it, as in decode-protobuf.ts. */
export function anyValue(value: unknown, depth: number, maxDepth: number): AttrValue {
  if (!isObject(value)) return null;
  if ('stringValue' in value) return asString(value.stringValue);
  if ('boolValue' in value) return value.boolValue === true || value.boolValue === 'true';
  // int64 may arrive as a string; it becomes a number, as in the protobuf decoder, so both give the same values.
  if ('intValue' in value) return Number(value.intValue);
  // jsonpb writes NaN and the infinities as strings.
  if ('doubleValue' in value) return Number(value.doubleValue);
  if ('bytesValue' in value) return asString(value.bytesValue);
  if ('arrayValue' in value) {
    if (depth >= maxDepth) return TOO_DEEP;
    const array = isObject(value.arrayValue) ? value.arrayValue.values : undefined;
    return asArray(array).map((v) => anyValue(v, depth + 1, maxDepth));
  }
  if ('kvlistValue' in value) {
    if (depth >= maxDepth) return TOO_DEEP;
    const list = isObject(value.kvlistValue) ? value.kvlistValue.values : undefined;
    return otlpAttributes(list, depth + 1, maxDepth);
  }
  return null;
}

/** A list of OTLP KeyValues → attributes (the last of a repeated key wins). */
export function otlpAttributes(list: unknown, depth: number, maxDepth: number): Attributes {
  const entries = new Map<string, AttrValue>();
  for (const kv of asArray(list)) {
    if (isObject(kv) && typeof kv.key === 'string') entries.set(kv.key, anyValue(kv.value, depth, maxDepth));
  }
  // fromEntries defines own properties, so a key such as "__proto__" stays an ordinary key.
  return Object.fromEntries(entries);
}

function decodeLinks(list: unknown): SpanLink[] {
  const links: SpanLink[] = [];
  for (const raw of asArray(list)) {
    if (!isObject(raw)) continue;
    const traceId = parseId(raw.traceId, 16, 'traceId');
    const spanId = parseId(raw.spanId, 8, 'spanId');
    // A link that cannot be read is dropped; it is no reason to lose the span.
    if ('id' in traceId && 'id' in spanId && traceId.id !== '' && spanId.id !== '') {
      links.push({ traceId: traceId.id, spanId: spanId.id });
    }
  }
  return links;
}

/** One OTLP/JSON span, or the reason it is refused. */
function decodeSpan(raw: unknown, limits: DecodeLimits, counts: LimitCounts): Span | string {
  if (!isObject(raw)) return 'span is not an object';
  const traceId = parseId(raw.traceId, 16, 'traceId');
  if ('error' in traceId) return traceId.error;
  const spanId = parseId(raw.spanId, 8, 'spanId');
  if ('error' in spanId) return spanId.error;
  const parentSpanId = parseId(raw.parentSpanId, 8, 'parentSpanId');
  if ('error' in parentSpanId) return parentSpanId.error;
  const startMs = nanosToMs(raw.startTimeUnixNano);
  if (startMs === undefined)
    return `startTimeUnixNano ${JSON.stringify(raw.startTimeUnixNano)} is not an unsigned integer`;
  const endMs = nanosToMs(raw.endTimeUnixNano);
  if (endMs === undefined) return `endTimeUnixNano ${JSON.stringify(raw.endTimeUnixNano)} is not an unsigned integer`;
  if (endMs < startMs) {
    return `endTimeUnixNano (${String(raw.endTimeUnixNano)}) is before startTimeUnixNano (${String(raw.startTimeUnixNano)})`;
  }
  const kind = knownSpanKind(raw.kind);
  const status = knownStatusCode(isObject(raw.status) ? raw.status.code : undefined);
  if (kind === undefined || status === undefined) counts.unknownEnums++;
  const span: Span = {
    traceId: traceId.id,
    spanId: spanId.id,
    parentSpanId: parentSpanId.id,
    name: asString(raw.name),
    kind: kind ?? SpanKind.UNSPECIFIED,
    startMs,
    endMs,
    status: status ?? StatusCode.UNSET,
    attributes: otlpAttributes(raw.attributes, 0, limits.maxDepth),
    links: decodeLinks(raw.links),
  };
  if (span.traceId === '') return 'traceId is missing';
  if (span.spanId === '') return 'spanId is missing';
  const problem = checkSpan(span, limits);
  if (problem) return problem;
  const illFormed = illFormedField(span);
  if (illFormed) return `${illFormed} is not valid Unicode (unpaired surrogate)`;
  limitSpan(span, limits, counts);
  return span;
}

function decodeScope(raw: unknown): Scope {
  return isObject(raw) ? { name: asString(raw.name), version: asString(raw.version) } : { name: '', version: '' };
}

/** The first of `keys` that holds an array, with that array. */
function arrayField(obj: JsonObject, keys: string[]): [string, unknown[]] | undefined {
  for (const key of keys) {
    const value = obj[key];
    if (Array.isArray(value)) return [key, value];
  }
  return undefined;
}

/**
 * Decodes an OTLP/JSON ExportTraceServiceRequest (already parsed from JSON).
 * Throws InvalidPayloadError when the body is not an object holding a resourceSpans (or Tempo
 * `batches`) array; otherwise every unusable span is listed in `rejected` and the rest kept.
 */
export function decodeOtlpJson(body: unknown, limits: DecodeLimits): DecodedBatch {
  if (!isObject(body)) throw new InvalidPayloadError('the request body is not a JSON object');
  const top = arrayField(body, ['resourceSpans', 'batches']);
  if (!top) throw new InvalidPayloadError('the request has no resourceSpans array');
  const [topKey, resourceList] = top;

  const batch: ResourceSpans[] = [];
  const rejected: SpanProblem[] = [];
  const counts = noLimitCounts();
  let spanCount = 0;
  let seen = 0;
  resourceList.forEach((rawRs, i) => {
    const rsAt = `${topKey}[${i}]`;
    if (!isObject(rawRs)) {
      rejected.push({ at: rsAt, message: 'resource spans entry is not an object' });
      return;
    }
    const resource = otlpAttributes(
      isObject(rawRs.resource) ? rawRs.resource.attributes : undefined,
      0,
      limits.maxDepth,
    );
    const badResource = illFormedAttribute(resource);
    const scopeSpans: ScopeSpans[] = [];
    const scopes = arrayField(rawRs, ['scopeSpans', 'instrumentationLibrarySpans']);
    if (scopes) {
      const [scopesKey, scopeList] = scopes;
      scopeList.forEach((rawSs, j) => {
        if (!isObject(rawSs)) {
          rejected.push({ at: `${rsAt}.${scopesKey}[${j}]`, message: 'scope spans entry is not an object' });
          return;
        }
        const spans: Span[] = [];
        const scope = decodeScope(rawSs.scope ?? rawSs.instrumentationLibrary);
        const badScope = isWellFormed(scope.name) && isWellFormed(scope.version) ? undefined : 'scope name or version';
        asArray(rawSs.spans).forEach((rawSpan, k) => {
          if (++seen > limits.maxSpans) throw tooManySpans(limits.maxSpans);
          const span = decodeSpan(rawSpan, limits, counts);
          const at = `${rsAt}.${scopesKey}[${j}].spans[${k}]`;
          if (typeof span === 'string') rejected.push({ at, message: span });
          else if (badResource || badScope) {
            const where = badResource ? `resource ${badResource}` : badScope;
            rejected.push({ at, message: `${where} is not valid Unicode (unpaired surrogate)` });
          } else spans.push(span);
        });
        spanCount += spans.length;
        scope.name = limitString(scope.name, limits, counts);
        scope.version = limitString(scope.version, limits, counts);
        scopeSpans.push({ scope, spans });
      });
    }
    batch.push({ resource: limitAttributes(resource, limits, counts), scopeSpans });
  });
  return { batch, spanCount, rejected, limited: counts };
}
