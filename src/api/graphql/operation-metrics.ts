/**
 * Prometheus figures per GraphQL operation: requests, latency and errors, labelled by the
 * operation's name. Names come from clients, so only the first MAX_OPERATION_NAMES distinct ones
 * get their own series; later ones share `other`, keeping the registry bounded.
 */
import { getOperationAST, type DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { Counter, Histogram, type Registry } from 'prom-client';

export const MAX_OPERATION_NAMES = 200;

/** A metric on `registry`: the one registered under its name, else a new one (made by `create`). */
function metric<T>(registry: Registry, name: string, create: (registers: Registry[]) => T): T {
  // createApi may be called more than once with one registry (tests); reuse what is registered.
  return (registry.getSingleMetric(name) as T | undefined) ?? create([registry]);
}

const counter = (registry: Registry, name: string, help: string, labelNames: string[]) =>
  metric(registry, name, (registers) => new Counter({ name, help, labelNames, registers }));

export function useOperationMetrics(registry: Registry): Plugin {
  const requests = counter(
    registry,
    'topograph_api_graphql_requests_total',
    'GraphQL requests, by operation name and type',
    ['operation', 'type'],
  );
  const errors = counter(
    registry,
    'topograph_api_graphql_errors_total',
    'GraphQL requests answered with errors, by operation name and phase (parse, validate, execute)',
    ['operation', 'phase'],
  );
  const seconds = metric(
    registry,
    'topograph_api_graphql_duration_seconds',
    (registers) =>
      new Histogram({
        name: 'topograph_api_graphql_duration_seconds',
        help: 'Time from receiving a GraphQL request to its result, by operation name',
        labelNames: ['operation'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers,
      }),
  );

  const known = new Set<string>();
  const label = (name: string | undefined) => {
    const n = name || 'anonymous';
    if (known.has(n)) return n;
    if (known.size >= MAX_OPERATION_NAMES) return 'other';
    known.add(n);
    return n;
  };

  interface Pending {
    operation: string;
    type: string;
    phase: 'parse' | 'validate' | 'execute';
    end: () => void;
  }
  const pending = new WeakMap<Request, Pending>();

  return {
    onParams({ params, request }) {
      const operation = label(params.operationName);
      pending.set(request, { operation, type: 'unknown', phase: 'parse', end: seconds.startTimer({ operation }) });
    },
    onValidate({ context, params }) {
      const p = pending.get((context as { request: Request }).request);
      if (!p) return;
      p.phase = 'validate';
      const op = getOperationAST(params.documentAST as DocumentNode, undefined);
      p.type = op?.operation ?? 'unknown';
      return ({ valid }) => {
        if (valid) p.phase = 'execute';
      };
    },
    onResultProcess({ request, result }) {
      const p = pending.get(request);
      if (!p) return;
      pending.delete(request);
      p.end();
      requests.inc({ operation: p.operation, type: p.type });
      const failed = Array.isArray(result)
        ? false
        : 'errors' in result && Array.isArray(result.errors) && result.errors.length > 0;
      if (failed) errors.inc({ operation: p.operation, phase: p.phase });
    },
  };
}
