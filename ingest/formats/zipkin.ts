/**
 * Zipkin v2 JSON (an array of spans) → the internal span model.
 *
 * Times are microseconds. The reporting service is `localEndpoint.serviceName`; spans are grouped
 * into one ResourceSpans per service. Zipkin reports one span in several pieces when it wants to
 * (a SERVER span and a kind-less, time-less fragment with the same id from the same host): such
 * pieces are merged back into one span before anything else, as the Zipkin UI does. Shared span ids
 * are then repaired (see shared-span-ids.ts).
 */
import type { Attributes, DecodedBatch, Span, SpanProblem } from '../span.js';
import { SpanKind, StatusCode } from '../span.js';
import { InvalidPayloadError, tooManySpans } from '../otlp/errors.js';
import { checkSpan, limitAttributes, limitSpan, noLimitCounts, type DecodeLimits } from '../otlp/validate.js';
import { isObject, parseId, spanProblem } from '../otlp/decode-json.js';
import { assembleBatch, repairSharedSpanIds, type SpanDraft } from './shared-span-ids.js';

interface Endpoint {
  serviceName: string;
  ipv4: string;
  ipv6: string;
  port: number | undefined;
}

/** A Zipkin span read and checked, before fragments are merged. */
interface Entry {
  at: string;
  traceId: string;
  id: string;
  parentId: string;
  kind: string;
  name: string;
  timestamp: number | undefined;
  duration: number | undefined;
  local: Endpoint;
  remote: Endpoint | undefined;
  tags: Record<string, string>;
  shared: boolean;
}

const KINDS = new Map<string, SpanKind>([
  ['CLIENT', SpanKind.CLIENT],
  ['SERVER', SpanKind.SERVER],
  ['PRODUCER', SpanKind.PRODUCER],
  ['CONSUMER', SpanKind.CONSUMER],
]);

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function micros(v: unknown): number | undefined {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
}

function endpoint(raw: unknown): Endpoint | undefined {
  if (!isObject(raw)) return undefined;
  const port = typeof raw.port === 'number' && raw.port > 0 ? raw.port : undefined;
  return { serviceName: str(raw.serviceName), ipv4: str(raw.ipv4), ipv6: str(raw.ipv6), port };
}

function tagsOf(raw: unknown): Record<string, string> {
  const tags = new Map<string, string>();
  if (isObject(raw)) for (const [k, v] of Object.entries(raw)) tags.set(k, typeof v === 'string' ? v : String(v));
  return Object.fromEntries(tags);
}

function readEntry(raw: unknown, at: string): Entry | string {
  if (!isObject(raw)) return 'span is not an object';
  const id = parseId(raw.id, 8, 'id', true);
  if ('error' in id) return id.error;
  if (id.id === '') return 'span has no id';
  const traceId = parseId(raw.traceId, 16, 'traceId', true);
  if ('error' in traceId) return `span ${id.id}: ${traceId.error}`;
  const parentId = parseId(raw.parentId, 8, 'parentId', true);
  if ('error' in parentId) return `span ${id.id}: ${parentId.error}`;
  if (raw.duration !== undefined && raw.duration !== null && micros(raw.duration) === undefined) {
    return `span ${id.id}: duration ${JSON.stringify(raw.duration)} is not a length in µs`;
  }
  const local = endpoint(raw.localEndpoint);
  if (!local || local.serviceName === '') return `span ${id.id} has no service name (localEndpoint.serviceName)`;
  return {
    at,
    traceId: traceId.id,
    id: id.id,
    parentId: parentId.id === id.id ? '' : parentId.id,
    kind: str(raw.kind).toUpperCase(),
    name: str(raw.name),
    timestamp: micros(raw.timestamp),
    duration: micros(raw.duration),
    local,
    remote: endpoint(raw.remoteEndpoint),
    tags: tagsOf(raw.tags),
    shared: raw.shared === true,
  };
}

const sameEndpoint = (a: Endpoint, b: Endpoint) =>
  a.serviceName === b.serviceName && a.ipv4 === b.ipv4 && a.ipv6 === b.ipv6 && a.port === b.port;

/** Merges the pieces of one span: same trace, id and local endpoint, no conflicting kind, one piece untimed. */
function mergeFragments(entries: Entry[]): Entry[] {
  const out: Entry[] = [];
  const byId = new Map<string, Entry[]>();
  for (const e of entries) {
    const key = `${e.traceId}/${e.id}`;
    const candidates = byId.get(key) ?? [];
    // Only a piece without a time of its own is a fragment: two timed spans with one id from one
    // host are two events (the corpus has Kafka messages received several times under one id).
    const into = candidates.find(
      (c) =>
        sameEndpoint(c.local, e.local) &&
        (c.timestamp === undefined || e.timestamp === undefined) &&
        (c.kind === e.kind || c.kind === '' || e.kind === ''),
    );
    if (!into) {
      byId.set(key, [...candidates, e]);
      out.push(e);
      continue;
    }
    const timed = [into, e].filter((x) => x.timestamp !== undefined);
    const start = Math.min(...timed.map((x) => x.timestamp!));
    const end = Math.max(...timed.map((x) => x.timestamp! + (x.duration ?? 0)));
    const hasDuration = timed.some((x) => x.duration !== undefined);
    into.kind ||= e.kind;
    into.name ||= e.name;
    into.parentId ||= e.parentId;
    into.remote ??= e.remote;
    into.shared ||= e.shared;
    into.tags = { ...e.tags, ...into.tags };
    if (timed.length > 0) {
      into.timestamp = start;
      into.duration = hasDuration ? end - start : undefined;
    }
  }
  return out;
}

/**
 * Zipkin has no resource or scope: OpenTelemetry's Zipkin exporter writes resource attributes and the
 * scope as span tags. These keys go back where they belong, so that a service lands in its
 * environment and namespace, and its SDK and runtime versions count as libraries, as over OTLP.
 */
const RESOURCE_TAG =
  /^(service\.(namespace|version|instance\.id)|deployment\.environment(\.name)?|telemetry\.sdk\.|process\.runtime\.)/;
const SCOPE_TAGS = {
  name: ['otel.scope.name', 'otel.library.name'],
  version: ['otel.scope.version', 'otel.library.version'],
};

function resourceOf(e: Entry): Attributes {
  const resource: Attributes = { 'service.name': e.local.serviceName };
  for (const [key, value] of Object.entries(e.tags)) if (RESOURCE_TAG.test(key)) resource[key] = value;
  return resource;
}

function scopeOf(e: Entry): { name: string; version: string } {
  const pick = (keys: string[]) => keys.map((k) => e.tags[k]).find((v) => typeof v === 'string') ?? '';
  return { name: pick(SCOPE_TAGS.name), version: pick(SCOPE_TAGS.version) };
}

function isError(e: Entry): boolean {
  return e.tags.error !== undefined || e.tags['otel.status_code'] === 'ERROR';
}

function attributesOf(e: Entry): Attributes {
  const attributes: Attributes = {};
  for (const [key, value] of Object.entries(e.tags)) {
    if (!RESOURCE_TAG.test(key) && !key.startsWith('otel.scope.') && !key.startsWith('otel.library.')) {
      attributes[key] = value;
    }
  }
  if (e.remote) {
    if (e.remote.serviceName !== '' && attributes['peer.service'] === undefined) {
      attributes['peer.service'] = e.remote.serviceName;
    }
    const address = e.remote.ipv4 || e.remote.ipv6;
    if (address !== '') attributes['network.peer.address'] = address;
    if (e.remote.port !== undefined) attributes['network.peer.port'] = e.remote.port;
  }
  return attributes;
}

/**
 * Decodes a Zipkin v2 JSON array. Throws InvalidPayloadError when it is not an array; spans without
 * a service name, with bad ids or without a timestamp are rejected (`at` is `[index]` in the array).
 */
export function zipkinToBatch(spans: unknown, limits?: DecodeLimits): DecodedBatch {
  if (!Array.isArray(spans)) throw new InvalidPayloadError('a Zipkin v2 payload is a JSON array of spans');
  // The receiver's limits, as OTLP's; a file being imported is read whole (limits undefined).
  if (limits && spans.length > limits.maxSpans) throw tooManySpans(limits.maxSpans);
  const counts = noLimitCounts();
  const rejected: SpanProblem[] = [];
  const entries: Entry[] = [];
  spans.forEach((raw, i) => {
    const entry = readEntry(raw, `[${i}]`);
    if (typeof entry === 'string') rejected.push({ at: `[${i}]`, message: entry });
    else entries.push(entry);
  });

  const drafts: SpanDraft[] = [];
  for (const e of mergeFragments(entries)) {
    if (e.timestamp === undefined) {
      rejected.push({ at: e.at, message: `span ${e.id} has no timestamp` });
      continue;
    }
    const span: Span = {
      traceId: e.traceId,
      spanId: e.id,
      parentSpanId: e.parentId,
      name: e.name,
      // No kind means a local span in Zipkin, but it is also how a kind got lost: UNSPECIFIED says "not known".
      kind: KINDS.get(e.kind) ?? SpanKind.UNSPECIFIED,
      startMs: e.timestamp / 1000,
      endMs: (e.timestamp + (e.duration ?? 0)) / 1000,
      status: isError(e) ? StatusCode.ERROR : StatusCode.UNSET,
      attributes: attributesOf(e),
      links: [],
    };
    const problem = spanProblem(span) ?? (limits && checkSpan(span, limits));
    if (problem) {
      rejected.push({ at: e.at, message: `span ${e.id}: ${problem}` });
      continue;
    }
    if (limits) limitSpan(span, limits, counts);
    drafts.push({
      span,
      service: e.local.serviceName,
      resource: limits ? limitAttributes(resourceOf(e), limits, counts) : resourceOf(e),
      scope: scopeOf(e),
      shared: e.shared,
      host: e.local.ipv4 || e.local.ipv6 || undefined,
    });
  }
  repairSharedSpanIds(drafts);
  // Problems are found in two passes; list them in file order.
  rejected.sort((a, b) => Number(a.at.slice(1, -1)) - Number(b.at.slice(1, -1)));
  const limited = counts.attributesDropped + counts.valuesTruncated > 0 ? { limited: counts } : {};
  return { batch: assembleBatch(drafts), spanCount: drafts.length, rejected, origin: 'zipkin', ...limited };
}
