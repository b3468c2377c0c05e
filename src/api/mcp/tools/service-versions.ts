import { environment, limit, name, namespace, offset } from './inputs.js';
import { page, pageNote, percent, toolAnswer } from '../tool-results.js';
import { unknownComponent } from '../near-matches.js';
import { queryTool } from './query-tool.js';

export const SERVICE_VERSIONS = /* GraphQL */ `
  fragment McpVersionHop on DependencyHop {
    component {
      name
      kind
    }
    byVersion {
      fromVersion
      toVersion
      calls
      errors
      errorRate
      lastSeen
    }
  }

  query McpServiceVersions($service: String!, $environment: String, $namespace: String) {
    service(name: $service, environment: $environment, namespace: $namespace) {
      name
      environment
      versions {
        version
        firstSeen
        lastSeen
        calls
        errors
        errorRate
      }
      dependencies(depth: 1) {
        ...McpVersionHop
      }
      dependents(depth: 1) {
        ...McpVersionHop
      }
    }
  }
`;

interface Hop {
  component: { name: string; kind: string };
  byVersion: {
    fromVersion: string | null;
    toVersion: string | null;
    calls: number;
    errors: number;
    errorRate: number;
    lastSeen: string;
  }[];
}

const input = {
  service: name('The service, e.g. "checkout".'),
  environment,
  namespace,
  limit: limit.default(50).describe('Version pairs listed per direction (at most 200).'),
  offset,
};

const unversioned = (v: string | null) => v ?? '(no version)';

export const serviceVersionsTool = queryTool({
  name: 'service_versions',
  title: 'Versions of a service and calls per version',
  description:
    'The versions (service.version) a service ran, and the calls and errors of each of its direct dependencies and callers per caller and callee version: a canary or rollout check ("does checkout 2.2.0 fail more toward payments than 2.1.0?"). Example: {"service": "checkout"}.',
  input,
  document: SERVICE_VERSIONS,
  variables: (args) => ({ service: args.service, environment: args.environment, namespace: args.namespace }),
  async answer(data, args, { ask }) {
    const s = data.service as {
      name: string;
      environment: string;
      versions: {
        version: string;
        firstSeen: string;
        lastSeen: string;
        calls: number;
        errors: number;
        errorRate: number;
      }[];
      dependencies: Hop[];
      dependents: Hop[];
    } | null;
    if (!s) throw new Error(await unknownComponent(ask, args.service, args.environment));
    const pairs = (hops: Hop[], outward: boolean) =>
      hops.flatMap((h) =>
        h.byVersion.map((v) => ({
          from: outward ? s.name : h.component.name,
          to: outward ? h.component.name : s.name,
          ...v,
        })),
      );
    const down = page(pairs(s.dependencies, true), args.offset, args.limit);
    const up = page(pairs(s.dependents, false), args.offset, args.limit);
    const line = (p: (typeof down.items)[number]) =>
      `- ${p.from} ${unversioned(p.fromVersion)} -> ${p.to} ${unversioned(p.toVersion)}: ${p.calls} calls, ${percent(p.errorRate)} errors`;
    const lines = [
      `${s.name} in "${s.environment}" ran ${s.versions.length} version(s)${s.versions.length ? ':' : ' (it reports no service.version).'}`,
      ...s.versions.map(
        (v) =>
          `- ${v.version}: ${v.calls} calls served, ${percent(v.errorRate)} errors, seen ${v.firstSeen} to ${v.lastSeen}`,
      ),
      `Calls to its dependencies by version ${pageNote(down)}:`,
      ...down.items.map(line),
      `Calls from its callers by version ${pageNote(up)}:`,
      ...up.items.map(line),
    ];
    return toolAnswer(lines.join('\n'), {
      service: { name: s.name, environment: s.environment },
      versions: s.versions,
      dependencies: down,
      dependents: up,
    });
  },
});
