import { z } from 'zod';
import { name, environment, since, limit, offset } from './inputs.js';
import { page, pageNote, toolAnswer } from '../tool-results.js';
import { unknownTagValue } from '../near-matches.js';
import { HOP_ENDS, OPERATION_REF, hopLabels, operationLabel, type OperationRef } from './operation-ref.js';
import { queryTool } from './query-tool.js';

export const FOOTPRINT = /* GraphQL */ `
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
          ...McpOperationRef
        }
        calls
        errors
      }
      downstream(depth: $depth) {
        depth
        calls
        errors
        ${HOP_ENDS}
      }
    }
  }
  ${OPERATION_REF}
`;

const input = {
  key: name('The tag key, e.g. "tenant.id".'),
  value: name('The value, e.g. "acme".'),
  environment,
  since: since('Seen since; default the live window (24h)'),
  depth: z.number().int().min(1).max(6).default(3).describe('Hops of downstream calls to follow.'),
  limit,
  offset: offset.describe("Where each list's page starts (0 first); the same offset applies to every list."),
};

export const tagFootprintTool = queryTool({
  name: 'tag_footprint',
  title: 'Footprint of a tag value',
  description:
    'What one client, tenant or version touched: for a tag value (key "tenant.id", value "acme"; "client.version", "1.2.3") the services and entry operations whose requests carried it, with calls and errors, and what handling them called. Only allow-listed tag keys are recorded. Example: {"key": "tenant.id", "value": "acme"}.',
  input,
  document: FOOTPRINT,
  variables: (args, at) => ({
    key: args.key,
    value: args.value,
    environment: args.environment,
    since: at(args.since),
    depth: args.depth,
  }),
  async answer(data, args, { ask }) {
    const f = data.footprint as {
      calls: number;
      errors: number;
      services: { component: { name: string; kind: string }; calls: number; errors: number }[];
      operations: { operation: OperationRef; calls: number; errors: number }[];
      downstream: { depth: number; calls: number; errors: number; from: OperationRef; to: OperationRef }[];
    } | null;
    if (!f) throw new Error(await unknownTagValue(ask, args.key, args.value));
    const services = page(
      f.services.map((x) => ({ name: x.component.name, kind: x.component.kind, calls: x.calls, errors: x.errors })),
      args.offset,
      args.limit,
    );
    const operations = page(
      f.operations.map((o) => ({ operation: operationLabel(o.operation), calls: o.calls, errors: o.errors })),
      args.offset,
      args.limit,
    );
    const downstream = page(
      f.downstream.map((d) => ({
        ...hopLabels(d),
        calls: d.calls,
        errors: d.errors,
      })),
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
});
