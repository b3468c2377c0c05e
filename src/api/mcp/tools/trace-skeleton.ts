import { z } from 'zod';
import { limit, offset } from './inputs.js';
import { page, pageNote, toolAnswer } from '../tool-results.js';
import { HOP_ENDS, OPERATION_REF, hopLabels, operationLabel, type OperationRef } from './operation-ref.js';
import { queryTool } from './query-tool.js';

export const TRACE = /* GraphQL */ `
  query McpTrace($traceId: String!) {
    trace(traceId: $traceId) {
      traceId
      error
      url
      entry {
        ...McpOperationRef
      }
      hops {
        depth
        error
        latencyMs
        at
        ${HOP_ENDS}
      }
    }
  }
  ${OPERATION_REF}
`;

const input = {
  traceId: z
    .string()
    .regex(/^[0-9a-fA-F]{32}$/, 'a trace id is 32 hexadecimal characters')
    .describe('32 hexadecimal characters.'),
  limit: limit.default(100),
  offset,
};

export const traceSkeletonTool = queryTool({
  name: 'trace_skeleton',
  title: 'Skeleton of a trace',
  description:
    'Which operation called which in one recent sampled trace, hop by hop with latency and errors (failing traces and a few per entry operation are kept). Use a trace id from incident_context. Example: {"traceId": "4bf92f3577b34da6a3ce929d0e0e4736"}.',
  input,
  document: TRACE,
  variables: (args) => ({ traceId: args.traceId.toLowerCase() }),
  answer(data, args) {
    const t = data.trace as {
      traceId: string;
      error: boolean;
      url: string | null;
      entry: OperationRef;
      hops: { depth: number; error: boolean; latencyMs: number; at: string; from: OperationRef; to: OperationRef }[];
    } | null;
    if (!t) {
      throw new Error(
        `No skeleton is kept for trace ${args.traceId}: only recent sampled traces are (failing ones and a few per entry operation). incident_context lists exemplar trace ids that are.`,
      );
    }
    const hops = page(
      t.hops.map((h) => ({
        ...hopLabels(h),
        latencyMs: h.latencyMs,
        error: h.error,
        at: h.at,
      })),
      args.offset,
      args.limit,
    );
    const lines = [
      `Trace ${t.traceId}${t.error ? ' (failed)' : ''}, entered at ${operationLabel(t.entry)}; ${hops.total} hops ${pageNote(hops)}:`,
      ...hops.items.map(
        (h) =>
          `${'  '.repeat(Math.max(0, h.depth - 1))}- ${h.from} -> ${h.to}, ${h.latencyMs} ms${h.error ? ', error' : ''}`,
      ),
    ];
    return toolAnswer(lines.join('\n'), {
      traceId: t.traceId,
      error: t.error,
      url: t.url,
      entry: operationLabel(t.entry),
      hops,
    });
  },
});
