/** Environments (deployment.environment.name) that have services in the window: what to pick from. */
import { builder } from '../builder.js';
import { sinceMs } from '../context.js';
import { environments, type EnvironmentRecord } from '../data/components.js';

const EnvironmentRef = builder.objectRef<EnvironmentRecord>('Environment').implement({
  description: 'A deployment environment, with how many services were seen in it.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'deployment.environment.name; empty when a service sets none' }),
    services: t.exposeInt('services'),
    lastSeen: t.field({ type: 'DateTime', resolve: (e) => e.lastSeen }),
  }),
});

builder.queryField('environments', (t) =>
  t.field({
    type: [EnvironmentRef],
    description: 'Every environment with services seen in the window (default: the live window), by name.',
    args: { since: t.arg({ type: 'DateTime', required: false }) },
    resolve: (_root, args, ctx) => environments(ctx, sinceMs(ctx, args.since)),
  }),
);
