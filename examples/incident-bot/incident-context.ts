/**
 * An incident bot's first question, asked of Topograph's GraphQL API with plain fetch: the incident
 * context of a service (health in the window, up- and downstream neighbours, recent changes, owners,
 * exemplar traces), printed as a short summary a chat channel can take.
 *
 *   npx tsx examples/incident-bot/incident-context.ts checkout [environment] [window]
 *
 * env: TOPOGRAPH_URL (default http://localhost:4000/graphql), TOPOGRAPH_TOKEN (when auth is on)
 */

/** The shape of the answer, written by hand for the fields asked below. */
export interface IncidentContext {
  service: { name: string; environment: string };
  health: { calls: number; errors: number; errorRate: number; avgLatencyMs: number | null };
  upstream: Neighbour[];
  downstream: Neighbour[];
  changes: { at: string; kind: string; subject: string }[];
  owners: { key: string; value: string }[];
  exemplarTraceIds: string[];
  links: { traceId: string; url: string }[];
}

interface Neighbour {
  component: { name: string; kind: string };
  calls: number;
  errors: number;
  errorRate: number;
  avgLatencyMs: number | null;
}

export const INCIDENT_CONTEXT = `query IncidentContext($service: String!, $environment: String, $window: String!) {
  incidentContext(service: $service, environment: $environment, window: $window) {
    service { name environment }
    health { calls errors errorRate avgLatencyMs }
    upstream { component { name kind } calls errors errorRate avgLatencyMs }
    downstream { component { name kind } calls errors errorRate avgLatencyMs }
    changes { at kind subject }
    owners { key value }
    exemplarTraceIds
    links { traceId url }
  }
}`;

export async function fetchIncidentContext(
  url: string,
  variables: { service: string; environment?: string; window: string },
  token?: string,
): Promise<IncidentContext | null> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: INCIDENT_CONTEXT, variables, operationName: 'IncidentContext' }),
  });
  const body = (await res.json()) as {
    data?: { incidentContext: IncidentContext | null };
    errors?: { message: string }[];
  };
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data?.incidentContext ?? null;
}

const pct = (r: number) => `${(100 * r).toFixed(1)}%`;
const ms = (v: number | null) => (v === null ? '–' : `${v.toFixed(0)} ms`);

export function summarize(c: IncidentContext, window: string): string {
  const worst = (list: Neighbour[]) =>
    [...list]
      .sort((a, b) => b.errorRate - a.errorRate)
      .slice(0, 5)
      .map(
        (n) =>
          `  - ${n.component.name} (${n.component.kind.toLowerCase()}): ${n.calls} calls, ${pct(n.errorRate)} errors, ${ms(n.avgLatencyMs)}`,
      );
  return [
    `*${c.service.name}* (${c.service.environment || 'no environment'}), last ${window}: ${c.health.calls} calls, ${pct(c.health.errorRate)} errors, avg ${ms(c.health.avgLatencyMs)}`,
    `Owners: ${c.owners.map((o) => `${o.key}=${o.value}`).join(', ') || 'unknown'}`,
    `Upstream (who is affected):`,
    ...(c.upstream.length ? worst(c.upstream) : ['  - none seen']),
    `Downstream (what it needs):`,
    ...(c.downstream.length ? worst(c.downstream) : ['  - none seen']),
    `Recent changes:`,
    ...(c.changes.length ? c.changes.slice(0, 5).map((ch) => `  - ${ch.at} ${ch.kind}: ${ch.subject}`) : ['  - none']),
    `Example traces: ${c.links.map((l) => l.url).join(' ') || c.exemplarTraceIds.join(' ') || 'none'}`,
  ].join('\n');
}

// Run as a script (not when imported).
if (import.meta.url === `file://${process.argv[1]}`) {
  const [service, environment, window = '15m'] = process.argv.slice(2);
  if (!service) {
    console.error('usage: incident-context.ts <service> [environment] [window]');
    process.exit(2);
  }
  const url = process.env.TOPOGRAPH_URL ?? 'http://localhost:4000/graphql';
  const context = await fetchIncidentContext(url, { service, environment, window }, process.env.TOPOGRAPH_TOKEN);
  console.log(context ? summarize(context, window) : `no service named ${service} in the live window`);
}
