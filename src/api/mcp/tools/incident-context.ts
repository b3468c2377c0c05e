import { name, environment, namespace, since, window, limit, offset } from './inputs.js';
import { page, pageNote, percent, toolAnswer } from '../tool-results.js';
import { unknownComponent } from '../near-matches.js';
import { queryTool } from './query-tool.js';

const NEIGHBOUR = /* GraphQL */ `
  fragment McpNeighbour on IncidentNeighbour {
    component {
      name
      kind
    }
    calls
    errors
    errorRate
    avgLatencyMs
  }
`;

export const INCIDENT = /* GraphQL */ `
  query McpIncident(
    $service: String!
    $environment: String
    $namespace: String
    $window: String!
    $changesSince: DateTime
  ) {
    incidentContext(
      service: $service
      environment: $environment
      namespace: $namespace
      window: $window
      changesSince: $changesSince
    ) {
      service {
        name
        namespace
        environment
        version
      }
      health {
        calls
        errors
        errorRate
        avgLatencyMs
      }
      upstream {
        ...McpNeighbour
      }
      downstream {
        ...McpNeighbour
      }
      changes {
        kind
        subject
        at
      }
      owners {
        key
        value
      }
      exemplarTraceIds
      links {
        traceId
        url
      }
    }
  }
  ${NEIGHBOUR}
`;

const input = {
  service: name('The service, e.g. "payments".'),
  environment,
  namespace,
  window,
  changesSince: since('Changes since; default the last 24 hours'),
  limit: limit.default(20),
  offset: offset.describe("Where each list's page starts (0 first); the same offset applies to every list."),
};

export const incidentContextTool = queryTool({
  name: 'incident_context',
  title: 'Incident context of a service',
  description:
    'Everything around a failing service at once: its request health in the window, who calls it and what it calls (with errors), what changed around it (new edges, versions, operations, stopped edges), owners and exemplar trace ids. The first call in an incident. Example: {"service": "payments", "window": "15m", "changesSince": "today"}.',
  input,
  document: INCIDENT,
  variables: (args, at) => ({
    service: args.service,
    environment: args.environment,
    namespace: args.namespace,
    window: args.window,
    changesSince: at(args.changesSince),
  }),
  async answer(data, args, { ask }) {
    type Neighbour = {
      component: { name: string; kind: string };
      calls: number;
      errors: number;
      errorRate: number;
      avgLatencyMs: number | null;
    };
    const ic = data.incidentContext as {
      service: { name: string; namespace: string; environment: string; version: string | null };
      health: { calls: number; errors: number; errorRate: number; avgLatencyMs: number | null };
      upstream: Neighbour[];
      downstream: Neighbour[];
      changes: { kind: string; subject: string; at: string }[];
      owners: { key: string; value: string }[];
      exemplarTraceIds: string[];
      links: { traceId: string; url: string }[];
    } | null;
    if (!ic) throw new Error(await unknownComponent(ask, args.service, args.environment));
    const flat = (list: Neighbour[]) =>
      page(
        list.map((n) => ({
          name: n.component.name,
          kind: n.component.kind,
          calls: n.calls,
          errors: n.errors,
          errorRate: n.errorRate,
          avgLatencyMs: n.avgLatencyMs,
        })),
        args.offset,
        args.limit,
      );
    const upstream = flat(ic.upstream);
    const downstream = flat(ic.downstream);
    const changes = page(ic.changes, args.offset, args.limit);
    const h = ic.health;
    const neighbour = (n: { name: string; calls: number; errors: number; errorRate: number }) =>
      `- ${n.name}: ${n.calls} calls, ${n.errors} errors (${percent(n.errorRate)})`;
    const lines = [
      `${ic.service.name} in "${ic.service.environment}"${ic.service.version ? ` (version ${ic.service.version})` : ''}, last ${args.window}: ${h.calls} requests, ${h.errors} errors (${percent(h.errorRate)})${h.avgLatencyMs === null ? '' : `, mean ${h.avgLatencyMs.toFixed(1)} ms`}.`,
      ic.owners.length ? `Owners: ${ic.owners.map((o) => `${o.key}=${o.value}`).join(', ')}.` : 'No owner tag.',
      `Callers ${pageNote(upstream)}:`,
      ...upstream.items.map(neighbour),
      `Calls ${pageNote(downstream)}:`,
      ...downstream.items.map(neighbour),
      changes.total ? `Changes, newest first ${pageNote(changes)}:` : 'No changes around it in that time.',
      ...changes.items.map((c) => `- ${c.at} ${c.kind}: ${c.subject}`),
      ic.exemplarTraceIds.length ? `Exemplar traces: ${ic.exemplarTraceIds.slice(0, 5).join(', ')}` : '',
    ];
    return toolAnswer(lines.filter(Boolean).join('\n'), {
      service: ic.service,
      window: args.window,
      health: h,
      owners: ic.owners,
      upstream,
      downstream,
      changes,
      exemplarTraceIds: ic.exemplarTraceIds,
      links: ic.links,
    });
  },
});
