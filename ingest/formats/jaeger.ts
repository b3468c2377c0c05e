/**
 * Jaeger JSON → the internal span model. Accepted shapes:
 *  - the query API / UI: `{data: [trace, …]}`, `{data: trace}`, or a bare trace, where a trace is
 *    `{traceID, spans, processes}` and each span names its process by `processID`;
 *  - an array of spans that carry their own `process` (anonymiser output, Elasticsearch documents).
 * Elasticsearch documents also have `startTimeMillis` and `tag` / `process.tag` maps whose dotted
 * keys are written with `@` (`span@kind`); these are read alongside the `tags` arrays.
 *
 * Times are microseconds. Ids are hex; leading zeros dropped by some writers are restored.
 */
import type { AttrValue, Attributes, DecodedBatch, Span, SpanLink, SpanProblem } from '../span.js';
import { SpanKind, StatusCode } from '../span.js';
import { InvalidPayloadError } from '../otlp/errors.js';
import { isObject, parseId, parseSpanKind, parseStatusCode, spanProblem } from '../otlp/decode-json.js';
import { assembleBatch, repairSharedSpanIds, type SpanDraft } from './shared-span-ids.js';

type JsonObject = Record<string, unknown>;

/** Tags that become span fields and are not kept as attributes. */
const CONSUMED_TAGS = new Set([
  'span.kind',
  'otel.status_code',
  'otel.scope.name',
  'otel.scope.version',
  'otel.library.name',
  'otel.library.version',
  'internal.span.format',
]);

function tagValue(tag: JsonObject): AttrValue {
  const { type, value } = tag;
  switch (typeof type === 'string' ? type.toLowerCase() : '') {
    case 'bool':
    case 'boolean':
      return value === true || value === 'true';
    case 'int64':
    case 'float64':
      // int64 may be written as a string; it becomes a number, as OTLP intValue does.
      return Number(value);
    default:
      // string, binary (base64 text), or an untyped value
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
      return value === undefined || value === null ? null : JSON.stringify(value);
  }
}

/** Jaeger `tags` arrays `[{key, type, value}]` and Elasticsearch `tag` maps → attributes. */
function readTags(tags: unknown, tagMap: unknown): Attributes {
  const entries = new Map<string, AttrValue>();
  if (Array.isArray(tags)) {
    for (const t of tags) if (isObject(t) && typeof t.key === 'string') entries.set(t.key, tagValue(t));
  }
  if (isObject(tagMap)) {
    for (const [k, v] of Object.entries(tagMap)) {
      const value = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v);
      entries.set(k.replaceAll('@', '.'), value);
    }
  }
  return Object.fromEntries(entries);
}

function micros(v: unknown): number | undefined {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
}

interface Process {
  service: string;
  resource: Attributes;
  host: string | undefined;
}

function readProcess(raw: unknown): Process | undefined {
  if (!isObject(raw)) return undefined;
  const service = typeof raw.serviceName === 'string' ? raw.serviceName : '';
  const tags = readTags(raw.tags, raw.tag);
  const host = [tags.ip, tags['host.ip'], tags.hostname, tags['host.name']].find((v) => typeof v === 'string');
  return { service, resource: { ...tags, 'service.name': service }, host: host as string | undefined };
}

/** The span's parent and links from its references (and the legacy `parentSpanID`). */
function readReferences(raw: JsonObject, traceId: string): { parent: string; links: SpanLink[] } {
  const childOf: SpanLink[] = [];
  const followsFrom: SpanLink[] = [];
  if (Array.isArray(raw.references)) {
    for (const ref of raw.references) {
      if (!isObject(ref)) continue;
      const refTrace = parseId(ref.traceID ?? traceId, 16, 'traceID', true);
      const refSpan = parseId(ref.spanID, 8, 'spanID', true);
      if (!('id' in refTrace) || !('id' in refSpan) || refSpan.id === '') continue;
      const link = { traceId: refTrace.id || traceId, spanId: refSpan.id };
      (ref.refType === 'FOLLOWS_FROM' ? followsFrom : childOf).push(link);
    }
  }
  const legacy = parseId(raw.parentSpanID, 8, 'parentSpanID', true);
  if ('id' in legacy && legacy.id !== '' && legacy.id !== '0000000000000000')
    childOf.push({ traceId, spanId: legacy.id });

  // The parent is the first CHILD_OF within the trace, else the first FOLLOWS_FROM within it;
  // every other reference, and every FOLLOWS_FROM, is a link.
  const parentRef = childOf.find((r) => r.traceId === traceId) ?? followsFrom.find((r) => r.traceId === traceId);
  const seen = new Set<string>();
  const links: SpanLink[] = [];
  for (const r of [...childOf.filter((r) => r !== parentRef), ...followsFrom]) {
    const key = `${r.traceId}/${r.spanId}`;
    if (seen.has(key)) continue;
    seen.add(key);
    links.push(r);
  }
  return { parent: parentRef?.spanId ?? '', links };
}

function readSpan(raw: unknown, processes: JsonObject): SpanDraft | string {
  if (!isObject(raw)) return 'span is not an object';
  const spanId = parseId(raw.spanID, 8, 'spanID', true);
  if ('error' in spanId) return spanId.error;
  const label = `span ${spanId.id || '(no spanID)'}`;
  const traceId = parseId(raw.traceID, 16, 'traceID', true);
  if ('error' in traceId) return `${label}: ${traceId.error}`;

  const processId = String(raw.processID);
  const process =
    readProcess(raw.process) ?? readProcess(Object.hasOwn(processes, processId) ? processes[processId] : undefined);
  if (!process || process.service === '') return `${label} has no service name`;

  const startUs = micros(raw.startTime) ?? (micros(raw.startTimeMillis) ?? NaN) * 1000;
  if (Number.isNaN(startUs)) return `${label} has no startTime`;
  const durationUs = raw.duration === undefined || raw.duration === null ? 0 : micros(raw.duration);
  if (durationUs === undefined) return `${label}: duration ${JSON.stringify(raw.duration)} is not a length in µs`;

  const tags = readTags(raw.tags, raw.tag);
  const errorTag = tags.error === true || tags.error === 'true';
  let status = tags['otel.status_code'] !== undefined ? parseStatusCode(tags['otel.status_code']) : StatusCode.UNSET;
  if (status === StatusCode.UNSET && errorTag) status = StatusCode.ERROR;
  const kind = tags['span.kind'] !== undefined ? parseSpanKind(tags['span.kind']) : SpanKind.UNSPECIFIED;
  const scope = {
    name: String(tags['otel.scope.name'] ?? tags['otel.library.name'] ?? ''),
    version: String(tags['otel.scope.version'] ?? tags['otel.library.version'] ?? ''),
  };
  const attributes = Object.fromEntries(Object.entries(tags).filter(([k]) => !CONSUMED_TAGS.has(k)));

  const { parent, links } = readReferences(raw, traceId.id);
  const span: Span = {
    traceId: traceId.id,
    spanId: spanId.id,
    parentSpanId: parent,
    name: typeof raw.operationName === 'string' ? raw.operationName : '',
    kind,
    startMs: startUs / 1000,
    endMs: (startUs + durationUs) / 1000,
    status,
    attributes,
    links,
  };
  const problem = spanProblem(span);
  if (problem) return `${label}: ${problem}`;
  return { span, service: process.service, resource: process.resource, scope, host: process.host };
}

/** The traces in a Jaeger document, each with the locator prefix of its spans. */
function tracesOf(doc: unknown): { at: string; spans: unknown[]; processes: JsonObject }[] | undefined {
  const trace = (t: unknown, at: string) =>
    isObject(t) && Array.isArray(t.spans)
      ? { at: `${at}spans`, spans: t.spans, processes: isObject(t.processes) ? t.processes : {} }
      : undefined;
  if (Array.isArray(doc)) return [{ at: '', spans: doc, processes: {} }];
  if (!isObject(doc)) return undefined;
  if (Array.isArray(doc.data)) {
    const traces = doc.data.map((t, i) => trace(t, `data[${i}].`));
    return traces.every((t) => t !== undefined) ? traces : undefined;
  }
  if (isObject(doc.data)) {
    const t = trace(doc.data, 'data.');
    return t && [t];
  }
  const t = trace(doc, '');
  return t && [t];
}

/**
 * Decodes a Jaeger JSON document (already parsed). Throws InvalidPayloadError when it is none of the
 * shapes above; unusable spans are rejected with `at` such as `data[0].spans[3]` or `[3]`.
 */
export function jaegerToBatch(doc: unknown): DecodedBatch {
  const traces = tracesOf(doc);
  if (!traces) throw new InvalidPayloadError('not a Jaeger trace document (no spans array)');
  const rejected: SpanProblem[] = [];
  const drafts: SpanDraft[] = [];
  for (const { at, spans, processes } of traces) {
    spans.forEach((raw, i) => {
      const draft = readSpan(raw, processes);
      if (typeof draft === 'string') rejected.push({ at: `${at}[${i}]`, message: draft });
      else drafts.push(draft);
    });
  }
  repairSharedSpanIds(drafts);
  return { batch: assembleBatch(drafts), spanCount: drafts.length, rejected };
}
