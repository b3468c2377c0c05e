/**
 * The stage the Zipkin and Jaeger importers share: spans as drafts (a span plus the process that
 * reported it), the repair of shared span ids, and grouping into ResourceSpans.
 *
 * Shared span ids: Zipkin's B3 propagation (and Envoy/Istio in Zipkin mode) lets a server join its
 * caller's span, so the CLIENT half and the SERVER half of one call carry the same span id, and the
 * server half carries the client's parent as its parent. Derivation pairs a CLIENT span with the
 * SERVER span whose parent it is, so the server half is given a new id of its own, its parent
 * becomes the client's id, and the spans its service started under the shared id are moved under
 * the new id.
 */
import { createHash } from 'node:crypto';
import type { Attributes, ResourceSpans, Scope, ScopeSpans, Span, TraceBatch } from '../span.js';
import { SpanKind } from '../span.js';

export interface SpanDraft {
  span: Span;
  /** `service.name` of the reporting process */
  service: string;
  /** the reporting process's resource attributes, `service.name` included */
  resource: Attributes;
  scope: Scope;
  /** Zipkin's `shared` flag: this SERVER span reuses its caller's span id */
  shared?: boolean;
  /** the reporting host (an address), to tell apart several servers that joined one client span */
  host?: string;
}

/** A stable, non-zero 16-hex-digit id for the server half, different from every id in the trace. */
function serverHalfId(seed: string, taken: Set<string>): string {
  for (let salt = 0; ; salt++) {
    const id = createHash('sha256').update(`${seed}\u0000${salt}`).digest('hex').slice(0, 16);
    if (id !== '0000000000000000' && !taken.has(id)) return id;
  }
}

interface SharedGroup {
  clientServices: Set<string>;
  servers: { draft: SpanDraft; newId: string }[];
}

/**
 * Gives each server half of a shared span id its own id (in place) and re-parents as described
 * above. A SERVER span is a server half when it is marked `shared` or when a CLIENT span in `drafts`
 * has the same trace and span id. The new id depends only on the trace id, the span id, the
 * server's service and host (and its rank among identical ones), so the two halves still pair when
 * they are imported in different batches, as long as the server half is marked `shared`.
 * Returns the number of server halves given a new id.
 */
export function repairSharedSpanIds(drafts: SpanDraft[]): number {
  const byId = new Map<string, SpanDraft[]>();
  const idsByTrace = new Map<string, Set<string>>();
  for (const d of drafts) {
    const key = `${d.span.traceId}/${d.span.spanId}`;
    byId.set(key, [...(byId.get(key) ?? []), d]);
    let ids = idsByTrace.get(d.span.traceId);
    if (!ids) idsByTrace.set(d.span.traceId, (ids = new Set()));
    ids.add(d.span.spanId);
  }

  const groups = new Map<string, SharedGroup>();
  const serverHalves = new Set<SpanDraft>();
  for (const [key, group] of byId) {
    const clients = group.filter((d) => d.span.kind === SpanKind.CLIENT);
    const servers = group.filter((d) => d.span.kind === SpanKind.SERVER && (d.shared === true || clients.length > 0));
    if (servers.length === 0) continue;
    const taken = idsByTrace.get(servers[0]!.span.traceId)!;
    const seen = new Map<string, number>();
    const shared: SharedGroup = { clientServices: new Set(clients.map((c) => c.service)), servers: [] };
    for (const draft of servers) {
      const who = `${key}\u0000${draft.service}\u0000${draft.host ?? ''}`;
      const rank = seen.get(who) ?? 0;
      seen.set(who, rank + 1);
      const newId = serverHalfId(`${who}\u0000${rank}`, taken);
      taken.add(newId);
      shared.servers.push({ draft, newId });
      serverHalves.add(draft);
    }
    groups.set(key, shared);
  }
  if (groups.size === 0) return 0;

  for (const d of drafts) {
    if (serverHalves.has(d)) continue;
    const group = groups.get(`${d.span.traceId}/${d.span.parentSpanId}`);
    if (!group) continue;
    const sameService = group.servers.filter((s) => s.draft.service === d.service);
    // A child in the client's service (and not the server's) was started by the client half.
    if (sameService.length === 0 && group.clientServices.has(d.service)) continue;
    const pool = sameService.length > 0 ? sameService : group.servers;
    const chosen = pool.find((s) => d.host !== undefined && s.draft.host === d.host) ?? pool[0]!;
    d.span.parentSpanId = chosen.newId;
  }
  for (const group of groups.values()) {
    for (const { draft, newId } of group.servers) {
      draft.span.parentSpanId = draft.span.spanId;
      draft.span.spanId = newId;
    }
  }
  return serverHalves.size;
}

/** Groups drafts into ResourceSpans (one per distinct resource) and ScopeSpans, in order of first appearance. */
export function assembleBatch(drafts: SpanDraft[]): TraceBatch {
  const resources = new Map<string, { rs: ResourceSpans; scopes: Map<string, ScopeSpans> }>();
  for (const d of drafts) {
    const resourceKey = JSON.stringify(Object.entries(d.resource).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    let entry = resources.get(resourceKey);
    if (!entry)
      resources.set(resourceKey, (entry = { rs: { resource: d.resource, scopeSpans: [] }, scopes: new Map() }));
    const scopeKey = JSON.stringify([d.scope.name, d.scope.version]);
    let ss = entry.scopes.get(scopeKey);
    if (!ss) {
      ss = { scope: d.scope, spans: [] };
      entry.scopes.set(scopeKey, ss);
      entry.rs.scopeSpans.push(ss);
    }
    ss.spans.push(d.span);
  }
  return [...resources.values()].map((e) => e.rs);
}
