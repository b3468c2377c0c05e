/**
 * Correlations: tag values over-represented in a service's errors, with the counts behind each claim.
 * The statistics live in ../correlate.ts; this file reads the counts and shapes the answer.
 */
import { durationArg, serviceNameArgs } from '../args.js';
import { builder } from '../builder.js';
import { correlate, DEFAULT_CORRELATION_RULE, type Correlation } from '../correlate.js';
import { findService } from '../data/components.js';
import { correlationCounts } from '../data/incident.js';
import type { ComponentRecord } from '../data/projections.js';
import { userError } from '../errors.js';
import { ServiceRef } from './component.js';

const RULE = DEFAULT_CORRELATION_RULE;

interface Correlations {
  service: ComponentRecord;
  calls: number;
  errors: number;
  values: Correlation[];
}

const TagCorrelationRef = builder.objectRef<Correlation>('TagCorrelation').implement({
  description: 'A tag value whose requests fail markedly more often than the rest of the service’s.',
  fields: (t) => ({
    key: t.exposeString('key'),
    value: t.exposeString('value'),
    calls: t.int({ description: 'Requests that carried the value.', resolve: (c) => c.calls }),
    errors: t.int({ description: 'Of those, how many failed.', resolve: (c) => c.errors }),
    errorRate: t.float({ resolve: (c) => c.errorRate }),
    restCalls: t.int({ description: 'The service’s other requests.', resolve: (c) => c.restCalls }),
    restErrors: t.int({ resolve: (c) => c.restErrors }),
    restErrorRate: t.float({ resolve: (c) => c.restErrorRate }),
    lift: t.float({
      nullable: true,
      description: 'errorRate / restErrorRate; null when the rest never failed.',
      resolve: (c) => c.lift,
    }),
    zScore: t.float({
      description: 'Pooled two-proportion z-score of errorRate against restErrorRate.',
      resolve: (c) => c.zScore,
    }),
  }),
});

const CorrelationsRef = builder.objectRef<Correlations>('Correlations').implement({
  fields: (t) => ({
    service: t.field({ type: ServiceRef, resolve: (c) => c.service }),
    calls: t.int({ description: 'The service’s requests (entry operations): the baseline.', resolve: (c) => c.calls }),
    errors: t.int({ resolve: (c) => c.errors }),
    errorRate: t.float({ resolve: (c) => (c.calls > 0 ? c.errors / c.calls : 0) }),
    rule: t.string({
      description: 'The rule every reported value passed, in words.',
      resolve: () =>
        `at least ${RULE.minCalls} requests and ${RULE.minErrors} errors with the value; error rate at least ${RULE.minLift}x the rest's; two-proportion z-score at least ${RULE.minZ}`,
    }),
    values: t.field({ type: [TagCorrelationRef], description: 'Strongest first.', resolve: (c) => c.values }),
  }),
});

builder.queryField('correlations', (t) =>
  t.field({
    type: CorrelationsRef,
    nullable: true,
    description: `Tag values (tenant, client version, region, route, …) over-represented in a service's errors. A value is reported when at least ${RULE.minCalls} requests carried it and ${RULE.minErrors} of them failed, its error rate is at least ${RULE.minLift} times that of the service's other requests, and the pooled two-proportion z-score is at least ${RULE.minZ}. Counts are totals since each value was first seen on the service's entry operations; \`window\` (default 1h) keeps the values seen in it. Null when no such service exists.`,
    args: {
      ...serviceNameArgs(),
      window: t.arg.string({ required: true, defaultValue: '1h' }),
      minCalls: t.arg.int({
        required: true,
        defaultValue: RULE.minCalls,
        description: 'Minimum requests carrying a value.',
      }),
    },
    resolve: async (_root, args, ctx) => {
      const windowMs = durationArg('window', args.window);
      if (args.minCalls < 1) throw userError(`minCalls must be at least 1, got ${args.minCalls}`);
      const service = await findService(ctx, {
        name: args.service,
        namespace: args.namespace,
        environment: args.environment,
      });
      if (!service) return null;
      const counts = await correlationCounts(ctx, service.key, ctx.now - windowMs);
      return {
        service,
        calls: counts.calls,
        errors: counts.errors,
        values: correlate(counts, counts.values, { ...RULE, minCalls: args.minCalls }),
      };
    },
  }),
);
