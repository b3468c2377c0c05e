import { z } from 'zod';
import { environment, limit, name, namespace, offset, window } from './inputs.js';
import { page, pageNote, percent, toolAnswer } from '../tool-results.js';
import { unknownComponent } from '../near-matches.js';
import { queryTool } from './query-tool.js';

export const CORRELATIONS = /* GraphQL */ `
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

const input = {
  service: name('The service, e.g. "payments".'),
  environment,
  namespace,
  window: window.default('1h'),
  minCalls: z.number().int().min(1).max(1_000_000).default(20).describe('Fewest requests a value must have.'),
  limit: limit.default(20),
  offset,
};

export const errorCorrelationsTool = queryTool({
  name: 'error_correlations',
  title: "Correlations of a service's errors",
  description:
    'Tag values (tenant, client version, region, route, …) over-represented in a service\'s failing requests, strongest first, each with its error rate against the rest and a z-score. Answers "is it one customer or one version?". Example: {"service": "payments", "window": "1h"}.',
  input,
  document: CORRELATIONS,
  variables: (args) => ({
    service: args.service,
    environment: args.environment,
    namespace: args.namespace,
    window: args.window,
    minCalls: args.minCalls,
  }),
  async answer(data, args, { ask }) {
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
});
