/**
 * The MCP tools: each one GraphQL document asked through /graphql (graphql-client.ts), its answer
 * cut to a bounded, paged result with a short text (tool-results.ts). Names and descriptions are
 * written for a model choosing among them; every input is bounded by its zod schema, so an
 * oversized or malformed argument is refused by the SDK as a tool error before anything runs.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { askData, type AskGraphql } from './graphql-client.js';
import { unknownComponent, unknownEnvironment, unknownTagValue } from './near-matches.js';
import { MAX_MERMAID_CHARS, page, pageNote, percent, resolveSince, SINCE_HELP, toolAnswer } from './tool-results.js';

const NAME_MAX = 256;
const name = (what: string) => z.string().min(1).max(NAME_MAX).describe(what);
const environment = z
  .string()
  .max(NAME_MAX)
  .optional()
  .describe(
    'deployment.environment.name, e.g. "production". Omit to match across all environments (the most recently seen wins).',
  );
const namespace = z
  .string()
  .max(NAME_MAX)
  .optional()
  .describe('service.namespace, when names repeat across namespaces');
const since = (what: string) => z.string().max(40).optional().describe(`${what}: ${SINCE_HELP}.`);
const window = z
  .string()
  .regex(/^\d{1,4}[mhd]$/)
  .default('15m')
  .describe('How far back to look, e.g. "5m", "15m", "1h", "24h".');
const limit = z.number().int().min(1).max(200).default(50).describe('Page size (at most 200).');
const offset = z.number().int().min(0).max(1_000_000).default(0).describe('Where the page starts (0 first).');

/** `since` as the API takes it (ISO-8601); a refusal naming the accepted forms when it is none. */
function sinceArg(text: string | undefined, now: number): string | undefined {
  if (text === undefined) return undefined;
  const at = resolveSince(text, now);
  if (!at) throw new Error(`"${text}" is not a time; use ${SINCE_HELP}.`);
  return at.toISOString();
}

const component = (c: { name: string; kind?: string }) => (c.kind ? `${c.name} (${c.kind.toLowerCase()})` : c.name);

const TOPOLOGY = /* GraphQL */ `
  query McpTopology($environment: String, $since: DateTime) {
    topology(environment: $environment, since: $since) {
      mermaid
      nodes {
        name
        kind
        environment
      }
      edges {
        from {
          name
        }
        to {
          name
        }
        calls
        errors
        protocols
        lastSeen
      }
    }
  }
`;

const HOP = /* GraphQL */ `
  fragment McpHop on DependencyHop {
    depth
    calls
    errors
    errorRate
    lastSeen
    component {
      name
      kind
      environment
    }
    from {
      name
    }
  }
`;

const DEPENDENCIES = /* GraphQL */ `
  query McpDependencies(
    $name: String!
    $environment: String
    $depth: Int!
    $since: DateTime
    $down: Boolean!
    $up: Boolean!
  ) {
    component(name: $name, environment: $environment) {
      name
      kind
      environment
      dependencies(depth: $depth, since: $since) @include(if: $down) {
        ...McpHop
      }
      dependents(depth: $depth, since: $since) @include(if: $up) {
        ...McpHop
      }
    }
  }
  ${HOP}
`;

const PATHS = /* GraphQL */ `
  query McpPaths($from: String!, $to: String!, $environment: String, $maxDepth: Int!, $since: DateTime) {
    paths(from: $from, to: $to, environment: $environment, maxDepth: $maxDepth, since: $since) {
      length
      hops {
        name
        kind
      }
    }
  }
`;

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

const INCIDENT = /* GraphQL */ `
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

const CHANGES = /* GraphQL */ `
  query McpChanges($since: DateTime!, $environment: String, $quietFor: String, $first: Int!, $after: String) {
    changeConnection(since: $since, environment: $environment, quietFor: $quietFor, first: $first, after: $after) {
      edges {
        node {
          kind
          subject
          at
          environment
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;

const LIBRARY = /* GraphQL */ `
  query McpLibrary($name: String!, $since: DateTime, $first: Int!) {
    library(name: $name) {
      name
      kind
      versions(since: $since) {
        version
        firstSeen
        lastSeen
        serviceConnection(first: $first) {
          edges {
            node {
              name
              namespace
              environment
            }
          }
          pageInfo {
            hasNextPage
          }
        }
      }
    }
  }
`;

const FOOTPRINT = /* GraphQL */ `
  query McpFootprint($key: String!, $value: String!, $environment: String, $since: DateTime, $depth: Int!) {
    footprint(key: $key, value: $value, environment: $environment, since: $since) {
      calls
      errors
      services {
        component {
          name
          kind
        }
        calls
        errors
      }
      operations {
        operation {
          name
          component {
            name
          }
        }
        calls
        errors
      }
      downstream(depth: $depth) {
        depth
        calls
        errors
        from {
          name
          component {
            name
          }
        }
        to {
          name
          component {
            name
          }
        }
      }
    }
  }
`;

const CORRELATIONS = /* GraphQL */ `
  query McpCorrelations(
    $service: String!
    $environment: String
    $namespace: String
    $window: String!
    $minCalls: Int!
  ) {
    correlations(
      service: $service
      environment: $environment
      namespace: $namespace
      window: $window
      minCalls: $minCalls
    ) {
      calls
      errors
      errorRate
      rule
      values {
        key
        value
        calls
        errors
        errorRate
        restErrorRate
        lift
        zScore
      }
    }
  }
`;

const TRACE = /* GraphQL */ `
  query McpTrace($traceId: String!) {
    trace(traceId: $traceId) {
      traceId
      error
      url
      entry {
        name
        component {
          name
        }
      }
      hops {
        depth
        error
        latencyMs
        at
        from {
          name
          component {
            name
          }
        }
        to {
          name
          component {
            name
          }
        }
      }
    }
  }
`;

const DRIFT = /* GraphQL */ `
  query McpDrift($environment: String, $since: DateTime, $first: Int!) {
    drift(environment: $environment, since: $since, first: $first) {
      declaredNotObserved {
        from {
          name
        }
        to {
          name
        }
        via
        environment
      }
      observedNotDeclared {
        from {
          name
          ref
        }
        to {
          name
          ref
        }
        environment
      }
      declaredComponentsNotObserved
      servicesNotDeclared {
        name
        environment
      }
      summary {
        declaredEdges
        observedEdges
        matchingEdges
        declaredNotObserved
        observedNotDeclared
        catalogEntities
      }
    }
  }
`;

/** The GraphQL documents the tools send, by tool name (the benchmark asks the same ones directly). */
export const TOOL_DOCUMENTS = {
  topology: TOPOLOGY,
  dependencies: DEPENDENCIES,
  paths: PATHS,
  incident_context: INCIDENT,
  changes: CHANGES,
  library_usage: LIBRARY,
  tag_footprint: FOOTPRINT,
  error_correlations: CORRELATIONS,
  trace_skeleton: TRACE,
  drift: DRIFT,
} as const;

interface Hop {
  depth: number;
  calls: number;
  errors: number;
  errorRate: number;
  lastSeen: string;
  component: { name: string; kind: string; environment: string };
  from: { name: string };
}

// Built once: a zod schema costs CPU to build, and the HTTP endpoint builds a server per request.
const INPUT_TOPOLOGY = { environment, since: since('Edges seen since; default the live window (24h)'), limit, offset };

const INPUT_DEPENDENCIES = {
  name: name('The component: a service, database, external host or queue name, e.g. "payments".'),
  environment,
  direction: z
    .enum(['dependents', 'dependencies', 'both'])
    .default('both')
    .describe('"dependents" (callers: the blast radius), "dependencies" (what it calls) or "both".'),
  depth: z.number().int().min(1).max(10).default(3).describe('Hops to follow, 1 (direct only) to 10.'),
  since: since('Edges seen since; default the live window (24h)'),
  limit,
  offset,
};

const INPUT_PATHS = {
  from: name('Where the paths start, e.g. "gateway".'),
  to: name('Where they end, e.g. "orders-db".'),
  environment,
  maxDepth: z.number().int().min(1).max(10).default(6).describe('Longest path, in edges.'),
  since: since('Edges seen since; default the live window (24h)'),
  limit: limit.default(20),
  offset,
};

const INPUT_INCIDENT_CONTEXT = {
  service: name('The service, e.g. "payments".'),
  environment,
  namespace,
  window,
  changesSince: since('Changes since; default the last 24 hours'),
  limit: limit.default(20),
  offset: offset.describe("Where each list's page starts (0 first); the same offset applies to every list."),
};

const INPUT_CHANGES = {
  since: z.string().min(1).max(40).describe(`Since when: ${SINCE_HELP}.`),
  environment,
  quietFor: z
    .string()
    .regex(/^\d{1,4}[smhd]$/)
    .optional()
    .describe('How long an edge must be silent to count as stopped, e.g. "1h"; default the live window.'),
  limit,
  after: z.string().max(200).optional().describe('The cursor from the previous page (nextCursor).'),
};

const INPUT_LIBRARY_USAGE = {
  name: name('The library name as reported, e.g. "@opentelemetry/instrumentation-http", "opentelemetry", "nodejs".'),
  since: since('Seen since; default the live window (24h)'),
  limit: limit.default(50).describe('Services listed per version (at most 200).'),
  offset: offset.describe('Where the page of versions (20 a page) starts.'),
};

const INPUT_TAG_FOOTPRINT = {
  key: name('The tag key, e.g. "tenant.id".'),
  value: name('The value, e.g. "acme".'),
  environment,
  since: since('Seen since; default the live window (24h)'),
  depth: z.number().int().min(1).max(6).default(3).describe('Hops of downstream calls to follow.'),
  limit,
  offset: offset.describe("Where each list's page starts (0 first); the same offset applies to every list."),
};

const INPUT_ERROR_CORRELATIONS = {
  service: name('The service, e.g. "payments".'),
  environment,
  namespace,
  window: window.default('1h'),
  minCalls: z.number().int().min(1).max(1_000_000).default(20).describe('Fewest requests a value must have.'),
  limit: limit.default(20),
  offset,
};

const INPUT_TRACE_SKELETON = {
  traceId: z
    .string()
    .regex(/^[0-9a-fA-F]{32}$/, 'a trace id is 32 hexadecimal characters')
    .describe('32 hexadecimal characters.'),
  limit: limit.default(100),
  offset,
};

const INPUT_DRIFT = {
  environment: environment.describe(
    'deployment.environment.name, e.g. "production". Omit to compare every environment.',
  ),
  since: since('Traffic seen since; default the live window (24h)'),
  limit: limit.default(50).describe('Edges listed per list (at most 200); the counts cover all.'),
};

const VERSIONS_PER_PAGE = 20;
const READ_ONLY = { readOnlyHint: true, openWorldHint: false } as const;

export function registerTools(server: McpServer, ask: AskGraphql, now: () => number = Date.now): void {
  server.registerTool(
    'topology',
    {
      title: 'Topology of an environment',
      description:
        'The map of an environment: how many components (services, databases, external peers, queues) and dependency edges it has, the busiest and most failing edges (paged), and a Mermaid flowchart when it is small enough to read. Start here to learn the names of things. Example: {"environment": "production"}.',
      inputSchema: INPUT_TOPOLOGY,
      annotations: READ_ONLY,
    },
    async (args) => {
      const since = sinceArg(args.since, now());
      const data = await askData(ask, TOPOLOGY, { environment: args.environment, since });
      const t = data.topology as {
        mermaid: string;
        nodes: { name: string; kind: string; environment: string }[];
        edges: { from: { name: string }; to: { name: string }; calls: number; errors: number; protocols: string[] }[];
      };
      if (t.nodes.length === 0 && args.environment !== undefined) {
        const unknown = await unknownEnvironment(ask, args.environment);
        if (unknown) throw new Error(unknown);
      }
      const byKind: Record<string, number> = {};
      for (const n of t.nodes) byKind[n.kind] = (byKind[n.kind] ?? 0) + 1;
      const edges = [...t.edges]
        .sort((a, b) => b.errors - a.errors || b.calls - a.calls)
        .map((e) => ({ from: e.from.name, to: e.to.name, calls: e.calls, errors: e.errors, protocols: e.protocols }));
      const p = page(edges, args.offset, args.limit);
      const mermaid = t.mermaid.length <= MAX_MERMAID_CHARS ? t.mermaid : null;
      const kinds = Object.entries(byKind)
        .map(([k, n]) => `${n} ${k.toLowerCase()}`)
        .join(', ');
      const lines = [
        `${args.environment ? `Environment "${args.environment}"` : 'All environments'}: ${t.nodes.length} components (${kinds || 'none'}), ${t.edges.length} dependency edges.`,
        `Edges, most errors first ${pageNote(p)}:`,
        ...p.items.map((e) => `- ${e.from} -> ${e.to}: ${e.calls} calls, ${e.errors} errors`),
        mermaid
          ? `\n\`\`\`mermaid\n${mermaid}\n\`\`\``
          : `(The Mermaid flowchart is ${t.mermaid.length} characters, more than ${MAX_MERMAID_CHARS}; ask the dependencies tool about one component instead.)`,
      ];
      return toolAnswer(lines.join('\n'), {
        environment: args.environment ?? null,
        components: t.nodes.length,
        componentsByKind: byKind,
        edgeCount: t.edges.length,
        edges: p,
        mermaid,
      });
    },
  );

  server.registerTool(
    'dependencies',
    {
      title: 'Dependencies and dependents of a component',
      description:
        'What a component calls (direction "dependencies") and who calls it (direction "dependents": who breaks when it fails, its blast radius), transitively up to `depth` hops, each with calls and errors of its edge and `via`, its neighbour on the path toward the component asked about. Example: what breaks if payments fails → {"name": "payments", "direction": "dependents", "depth": 5}.',
      inputSchema: INPUT_DEPENDENCIES,
      annotations: READ_ONLY,
    },
    async (args) => {
      const since = sinceArg(args.since, now());
      const data = await askData(ask, DEPENDENCIES, {
        name: args.name,
        environment: args.environment,
        depth: args.depth,
        since,
        down: args.direction !== 'dependents',
        up: args.direction !== 'dependencies',
      });
      const c = data.component as {
        name: string;
        kind: string;
        environment: string;
        dependencies?: Hop[];
        dependents?: Hop[];
      } | null;
      if (!c) throw new Error(await unknownComponent(ask, args.name, args.environment));
      const flat = (hops: Hop[] | undefined) =>
        hops?.map((h) => ({
          name: h.component.name,
          kind: h.component.kind,
          depth: h.depth,
          via: h.from.name,
          calls: h.calls,
          errors: h.errors,
          errorRate: h.errorRate,
          lastSeen: h.lastSeen,
        }));
      const down = flat(c.dependencies);
      const up = flat(c.dependents);
      const lines = [`${component(c)} in "${c.environment}", up to ${args.depth} hops:`];
      const structured: Record<string, unknown> = {
        component: { name: c.name, kind: c.kind, environment: c.environment },
      };
      for (const [label, list, key, link] of [
        ['Dependents (who calls it, so is affected when it fails)', up, 'dependents', 'calls'],
        ['Dependencies (what it calls)', down, 'dependencies', 'called by'],
      ] as const) {
        if (!list) continue;
        const p = page(list, args.offset, args.limit);
        structured[key] = p;
        lines.push(`${label}: ${list.length} ${pageNote(p)}`);
        for (const h of p.items) {
          lines.push(
            `- ${h.name} (${h.kind.toLowerCase()}), depth ${h.depth}, ${link} ${h.via}: ${h.calls} calls, ${percent(h.errorRate)} errors`,
          );
        }
      }
      return toolAnswer(lines.join('\n'), structured);
    },
  );

  server.registerTool(
    'paths',
    {
      title: 'Paths between two components',
      description:
        'Every simple dependency path from one component to another, shortest first: how a request from `from` can reach `to`. Example: {"from": "gateway", "to": "orders-db", "maxDepth": 6}.',
      inputSchema: INPUT_PATHS,
      annotations: READ_ONLY,
    },
    async (args) => {
      const since = sinceArg(args.since, now());
      const data = await askData(ask, PATHS, {
        from: args.from,
        to: args.to,
        environment: args.environment,
        maxDepth: args.maxDepth,
        since,
      });
      const paths = (data.paths as { length: number; hops: { name: string; kind: string }[] }[]).map((p) => ({
        length: p.length,
        hops: p.hops.map((h) => h.name),
      }));
      if (paths.length === 0) {
        const problems = await Promise.all(
          [args.from, args.to].map(async (n) => {
            const known = await ask(DEPENDENCIES, {
              name: n,
              environment: args.environment,
              depth: 1,
              down: false,
              up: false,
            });
            return known.data?.component ? undefined : unknownComponent(ask, n, args.environment);
          }),
        );
        const unknown = problems.filter((m): m is string => m !== undefined);
        if (unknown.length > 0) throw new Error(unknown.join('\n'));
      }
      const p = page(paths, args.offset, args.limit);
      const lines = [
        paths.length === 0
          ? `No path from ${args.from} to ${args.to} within ${args.maxDepth} edges.`
          : `${paths.length} path(s) from ${args.from} to ${args.to} ${pageNote(p)}:`,
        ...p.items.map((x) => `- ${x.hops.join(' -> ')}`),
      ];
      return toolAnswer(lines.join('\n'), { from: args.from, to: args.to, paths: p });
    },
  );

  server.registerTool(
    'incident_context',
    {
      title: 'Incident context of a service',
      description:
        'Everything around a failing service at once: its request health in the window, who calls it and what it calls (with errors), what changed around it (new edges, versions, operations, stopped edges), owners and exemplar trace ids. The first call in an incident. Example: {"service": "payments", "window": "15m", "changesSince": "today"}.',
      inputSchema: INPUT_INCIDENT_CONTEXT,
      annotations: READ_ONLY,
    },
    async (args) => {
      const since = sinceArg(args.changesSince, now());
      const data = await askData(ask, INCIDENT, {
        service: args.service,
        environment: args.environment,
        namespace: args.namespace,
        window: args.window,
        changesSince: since,
      });
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
  );

  server.registerTool(
    'changes',
    {
      title: 'What changed since a time',
      description:
        'What appeared or stopped since a time, newest first: new components, new dependency edges, new operations, new library versions, and edges that went quiet. Paged with a cursor. Example: {"since": "today", "environment": "production"}; next page: {"since": "today", "after": "<cursor>"}.',
      inputSchema: INPUT_CHANGES,
      annotations: READ_ONLY,
    },
    async (args) => {
      const since = sinceArg(args.since, now());
      const data = await askData(ask, CHANGES, {
        since,
        environment: args.environment,
        quietFor: args.quietFor,
        first: args.limit,
        after: args.after,
      });
      const conn = data.changeConnection as {
        edges: { node: { kind: string; subject: string; at: string; environment: string } }[];
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
      const changes = conn.edges.map((e) => e.node);
      if (changes.length === 0 && args.environment !== undefined) {
        const unknown = await unknownEnvironment(ask, args.environment);
        if (unknown) throw new Error(unknown);
      }
      const nextCursor = conn.pageInfo.hasNextPage ? conn.pageInfo.endCursor : null;
      const lines = [
        changes.length === 0
          ? `Nothing changed since ${since}.`
          : `${changes.length} change(s) since ${since}, newest first:`,
        ...changes.map((c) => `- ${c.at} [${c.environment}] ${c.kind}: ${c.subject}`),
        nextCursor ? `(more: call again with after "${nextCursor}")` : '',
      ];
      return toolAnswer(lines.filter(Boolean).join('\n'), { since, changes, nextCursor });
    },
  );

  server.registerTool(
    'library_usage',
    {
      title: 'Which services run a library',
      description:
        'Which services run a library (an instrumentation scope, the OpenTelemetry SDK, a runtime) and in which versions: for an upgrade or a vulnerable version. Example: {"name": "@opentelemetry/instrumentation-http"}.',
      inputSchema: INPUT_LIBRARY_USAGE,
      annotations: READ_ONLY,
    },
    async (args) => {
      const since = sinceArg(args.since, now());
      const data = await askData(ask, LIBRARY, { name: args.name, since, first: args.limit });
      const lib = data.library as {
        name: string;
        kind: string | null;
        versions: {
          version: string;
          firstSeen: string;
          lastSeen: string;
          serviceConnection: {
            edges: { node: { name: string; namespace: string; environment: string } }[];
            pageInfo: { hasNextPage: boolean };
          };
        }[];
      } | null;
      if (!lib || lib.versions.length === 0) {
        throw new Error(
          `No service was seen running a library named "${args.name}"${args.since ? ` since ${since}` : ''}. Names are as the SDKs report them (instrumentation scope names such as "@opentelemetry/instrumentation-http", the SDK "opentelemetry", runtimes such as "nodejs"); the libraries of one service are in its GraphQL field Service.libraries.`,
        );
      }
      const versions = page(lib.versions, args.offset, VERSIONS_PER_PAGE);
      const listed = versions.items.map((v) => ({
        version: v.version,
        firstSeen: v.firstSeen,
        lastSeen: v.lastSeen,
        services: v.serviceConnection.edges.map((e) => e.node),
        moreServices: v.serviceConnection.pageInfo.hasNextPage,
      }));
      const lines = [
        `${lib.name}${lib.kind ? ` (${lib.kind})` : ''}: ${versions.total} version(s) ${pageNote(versions)}.`,
        ...listed.map(
          (v) =>
            `- ${v.version}: ${v.services.map((x) => `${x.name} [${x.environment}]`).join(', ')}${v.moreServices ? ` and more (first ${args.limit} shown)` : ''}`,
        ),
      ];
      return toolAnswer(lines.join('\n'), { name: lib.name, kind: lib.kind, versions: { ...versions, items: listed } });
    },
  );

  server.registerTool(
    'tag_footprint',
    {
      title: 'Footprint of a tag value',
      description:
        'What one client, tenant or version touched: for a tag value (key "tenant.id", value "acme"; "client.version", "1.2.3") the services and entry operations whose requests carried it, with calls and errors, and what handling them called. Only allow-listed tag keys are recorded. Example: {"key": "tenant.id", "value": "acme"}.',
      inputSchema: INPUT_TAG_FOOTPRINT,
      annotations: READ_ONLY,
    },
    async (args) => {
      const since = sinceArg(args.since, now());
      const data = await askData(ask, FOOTPRINT, {
        key: args.key,
        value: args.value,
        environment: args.environment,
        since,
        depth: args.depth,
      });
      type Named = { name: string; component: { name: string } };
      const f = data.footprint as {
        calls: number;
        errors: number;
        services: { component: { name: string; kind: string }; calls: number; errors: number }[];
        operations: { operation: Named; calls: number; errors: number }[];
        downstream: { depth: number; calls: number; errors: number; from: Named; to: Named }[];
      } | null;
      if (!f) throw new Error(await unknownTagValue(ask, args.key, args.value));
      const op = (o: Named) => `${o.component.name}: ${o.name}`;
      const services = page(
        f.services.map((x) => ({ name: x.component.name, kind: x.component.kind, calls: x.calls, errors: x.errors })),
        args.offset,
        args.limit,
      );
      const operations = page(
        f.operations.map((o) => ({ operation: op(o.operation), calls: o.calls, errors: o.errors })),
        args.offset,
        args.limit,
      );
      const downstream = page(
        f.downstream.map((d) => ({ depth: d.depth, from: op(d.from), to: op(d.to), calls: d.calls, errors: d.errors })),
        args.offset,
        args.limit,
      );
      const lines = [
        `${args.key}=${args.value}: ${f.calls} requests, ${f.errors} failed.`,
        `Services ${pageNote(services)}:`,
        ...services.items.map((x) => `- ${x.name}: ${x.calls} spans, ${x.errors} errors`),
        `Entry operations ${pageNote(operations)}:`,
        ...operations.items.map((o) => `- ${o.operation}: ${o.calls} requests, ${o.errors} errors`),
        `Downstream calls ${pageNote(downstream)}:`,
        ...downstream.items.map((d) => `- depth ${d.depth}: ${d.from} -> ${d.to} (${d.calls} calls)`),
      ];
      return toolAnswer(lines.join('\n'), {
        key: args.key,
        value: args.value,
        calls: f.calls,
        errors: f.errors,
        services,
        operations,
        downstream,
      });
    },
  );

  server.registerTool(
    'error_correlations',
    {
      title: "Correlations of a service's errors",
      description:
        'Tag values (tenant, client version, region, route, …) over-represented in a service\'s failing requests, strongest first, each with its error rate against the rest and a z-score. Answers "is it one customer or one version?". Example: {"service": "payments", "window": "1h"}.',
      inputSchema: INPUT_ERROR_CORRELATIONS,
      annotations: READ_ONLY,
    },
    async (args) => {
      const data = await askData(ask, CORRELATIONS, {
        service: args.service,
        environment: args.environment,
        namespace: args.namespace,
        window: args.window,
        minCalls: args.minCalls,
      });
      const c = data.correlations as {
        calls: number;
        errors: number;
        errorRate: number;
        rule: string;
        values: {
          key: string;
          value: string;
          calls: number;
          errors: number;
          errorRate: number;
          restErrorRate: number;
          lift: number | null;
          zScore: number;
        }[];
      } | null;
      if (!c) throw new Error(await unknownComponent(ask, args.service, args.environment));
      const values = page(c.values, args.offset, args.limit);
      const lines = [
        `${args.service}: ${c.calls} requests, ${c.errors} errors (${percent(c.errorRate)}).`,
        values.total === 0
          ? `No tag value stands out in its errors. Rule: ${c.rule}`
          : `Over-represented in its errors ${pageNote(values)}:`,
        ...values.items.map(
          (v) =>
            `- ${v.key}=${v.value}: ${percent(v.errorRate)} of ${v.calls} failed vs ${percent(v.restErrorRate)} of the rest (z ${v.zScore.toFixed(1)})`,
        ),
      ];
      return toolAnswer(lines.join('\n'), {
        service: args.service,
        calls: c.calls,
        errors: c.errors,
        errorRate: c.errorRate,
        rule: c.rule,
        values,
      });
    },
  );

  server.registerTool(
    'trace_skeleton',
    {
      title: 'Skeleton of a trace',
      description:
        'Which operation called which in one recent sampled trace, hop by hop with latency and errors (failing traces and a few per entry operation are kept). Use a trace id from incident_context. Example: {"traceId": "4bf92f3577b34da6a3ce929d0e0e4736"}.',
      inputSchema: INPUT_TRACE_SKELETON,
      annotations: READ_ONLY,
    },
    async (args) => {
      const data = await askData(ask, TRACE, { traceId: args.traceId.toLowerCase() });
      type Named = { name: string; component: { name: string } };
      const t = data.trace as {
        traceId: string;
        error: boolean;
        url: string | null;
        entry: Named;
        hops: { depth: number; error: boolean; latencyMs: number; at: string; from: Named; to: Named }[];
      } | null;
      if (!t) {
        throw new Error(
          `No skeleton is kept for trace ${args.traceId}: only recent sampled traces are (failing ones and a few per entry operation). incident_context lists exemplar trace ids that are.`,
        );
      }
      const op = (o: Named) => `${o.component.name}: ${o.name}`;
      const hops = page(
        t.hops.map((h) => ({
          depth: h.depth,
          from: op(h.from),
          to: op(h.to),
          latencyMs: h.latencyMs,
          error: h.error,
          at: h.at,
        })),
        args.offset,
        args.limit,
      );
      const lines = [
        `Trace ${t.traceId}${t.error ? ' (failed)' : ''}, entered at ${op(t.entry)}; ${hops.total} hops ${pageNote(hops)}:`,
        ...hops.items.map(
          (h) =>
            `${'  '.repeat(Math.max(0, h.depth - 1))}- ${h.from} -> ${h.to}, ${h.latencyMs} ms${h.error ? ', error' : ''}`,
        ),
      ];
      return toolAnswer(lines.join('\n'), { traceId: t.traceId, error: t.error, url: t.url, entry: op(t.entry), hops });
    },
  );

  server.registerTool(
    'drift',
    {
      title: 'Catalog against traffic',
      description:
        'Where the declared map (the Backstage catalog) and the observed traffic disagree: dependencies the catalog declares that no traffic shows, dependencies seen that the catalog does not declare, catalog components never seen, services the catalog does not name. Example: {"environment": "production"}.',
      inputSchema: INPUT_DRIFT,
      annotations: READ_ONLY,
    },
    async (args) => {
      const since = sinceArg(args.since, now());
      const data = await askData(ask, DRIFT, { environment: args.environment, since, first: args.limit });
      type End = { name: string; ref?: string | null };
      type Edge = { from: End; to: End; via?: string | null; environment: string | null };
      const d = data.drift as {
        declaredNotObserved: Edge[];
        observedNotDeclared: Edge[];
        declaredComponentsNotObserved: string[];
        servicesNotDeclared: { name: string; environment: string }[];
        summary: Record<string, number>;
      };
      const s = d.summary;
      if (s.catalogEntities === 0) {
        throw new Error(
          `No catalog describes ${args.environment ? `environment "${args.environment}"` : 'any environment'}: import one with \`npm run import:catalog\` or set TOPOGRAPH_BACKSTAGE_URL (docs/catalog.md).`,
        );
      }
      const edge = (e: Edge) => `${e.from.name} -> ${e.to.name}${e.environment ? ` [${e.environment}]` : ''}`;
      const lines = [
        `${s.declaredEdges} declared dependencies, ${s.observedEdges} seen, ${s.matchingEdges} both.`,
        `Declared, not seen (${s.declaredNotObserved}):`,
        ...d.declaredNotObserved.map((e) => `- ${edge(e)} (${e.via})`),
        `Seen, not declared (${s.observedNotDeclared}):`,
        ...d.observedNotDeclared.map((e) => `- ${edge(e)}${e.to.ref ? '' : ` (${e.to.name} is not in the catalog)`}`),
        `Catalog components never seen: ${d.declaredComponentsNotObserved.join(', ') || 'none'}.`,
        `Services the catalog does not name: ${d.servicesNotDeclared.map((x) => `${x.name} [${x.environment}]`).join(', ') || 'none'}.`,
      ];
      return toolAnswer(lines.join('\n'), d);
    },
  );
}
