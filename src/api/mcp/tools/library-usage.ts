import { name, since, limit, offset } from './inputs.js';
import { page, pageNote, toolAnswer } from '../tool-results.js';
import { queryTool } from './query-tool.js';

export const LIBRARY = /* GraphQL */ `
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

const VERSIONS_PER_PAGE = 20;

const input = {
  name: name('The library name as reported, e.g. "@opentelemetry/instrumentation-http", "opentelemetry", "nodejs".'),
  since: since('Seen since; default the live window (24h)'),
  limit: limit.default(50).describe('Services listed per version (at most 200).'),
  offset: offset.describe('Where the page of versions (20 a page) starts.'),
};

export const libraryUsageTool = queryTool({
  name: 'library_usage',
  title: 'Which services run a library',
  description:
    'Which services run a library (an instrumentation scope, the OpenTelemetry SDK, a runtime) and in which versions: for an upgrade or a vulnerable version. Example: {"name": "@opentelemetry/instrumentation-http"}.',
  input,
  document: LIBRARY,
  variables: (args, at) => ({ name: args.name, since: at(args.since), first: args.limit }),
  answer(data, args, { variables }) {
    const since = variables.since as string | undefined;
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
});
