import { environment, limit, since } from './inputs.js';
import { toolAnswer } from '../tool-results.js';
import { queryTool } from './query-tool.js';

export const DRIFT = /* GraphQL */ `
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

const input = {
  environment: environment.describe(
    'deployment.environment.name, e.g. "production". Omit to compare every environment.',
  ),
  since: since('Traffic seen since; default the live window (24h)'),
  limit: limit.describe('Edges listed per list (at most 200); the counts cover all.'),
};

type End = { name: string; ref?: string | null };
type Edge = { from: End; to: End; via?: string | null; environment: string | null };

export const driftTool = queryTool({
  name: 'drift',
  title: 'Catalog against traffic',
  description:
    'Where the declared map (the Backstage catalog) and the observed traffic disagree: dependencies the catalog declares that no traffic shows, dependencies seen that the catalog does not declare, catalog components never seen, services the catalog does not name. Example: {"environment": "production"}.',
  input,
  document: DRIFT,
  variables: (args, at) => ({ environment: args.environment, since: at(args.since), first: args.limit }),
  answer(data, args) {
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
});
