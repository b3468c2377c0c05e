/** Environments (deployment.environment.name) that have services in the window: what to pick from. */
import { builder } from '../builder.js';
import { sinceMs } from '../context.js';
import { readRows } from '../read.js';

interface EnvironmentRecord {
  name: string;
  services: number;
  lastSeen: number;
}

export const ENVIRONMENTS = `
MATCH (s:Service)
WHERE s.lastSeen >= $since
RETURN s.environment AS name, count(s) AS services, max(s.lastSeen) AS lastSeen
ORDER BY name`;

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
    resolve: (_root, args, ctx) =>
      readRows<EnvironmentRecord>(ctx, 'environments', ENVIRONMENTS, { since: sinceMs(ctx, args.since) }),
  }),
);
