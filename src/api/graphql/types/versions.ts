/**
 * Versions: the calls of every edge per caller and callee `service.version` (`byVersion` on
 * topology edges, dependency hops and call hops), and a service's own versions. The canary question
 * ("checkout 2.2.0 calls payments with 12% errors, 2.1.0 with 1%") is one query.
 */
import { builder } from '../builder.js';
import type { Hop } from '../data/traversal.js';
import type { EdgeEnds, EdgeVersionRecord, ServiceVersionRecord } from '../data/versions.js';
import { answeredFrom } from '../look-ahead.js';
import { DependencyHopRef, ServiceRef } from './component.js';
import { CallHopRef } from './operation.js';
import { TopologyEdgeRef } from './topology.js';

const rate = (v: { calls: number; errors: number }) => (v.calls > 0 ? v.errors / v.calls : 0);

const EdgeVersionRef = builder.objectRef<EdgeVersionRecord>('EdgeVersion').implement({
  description:
    'The calls of one edge made by one version of the caller to one version of the callee (`service.version` of each side), since that pair was first seen. An edge keeps its TOPOGRAPH_VERSIONS_PER_EDGE most recently seen pairs; calls where neither side reports a version are not broken down.',
  fields: (t) => ({
    fromVersion: t.string({
      nullable: true,
      description: "The caller's `service.version`; null when it reports none (or is not a service).",
      resolve: (v) => v.fromVersion || null,
    }),
    toVersion: t.string({
      nullable: true,
      description: "The callee's `service.version`; null when it reports none (a database, an external peer).",
      resolve: (v) => v.toVersion || null,
    }),
    calls: t.int({ resolve: (v) => v.calls }),
    errors: t.int({ resolve: (v) => v.errors }),
    errorRate: t.float({ description: 'errors / calls (0 without calls).', resolve: rate }),
    firstSeen: t.field({ type: 'DateTime', resolve: (v) => v.firstSeen }),
    lastSeen: t.field({ type: 'DateTime', resolve: (v) => v.lastSeen }),
  }),
});

const ServiceVersionRef = builder.objectRef<ServiceVersionRecord>('ServiceVersion').implement({
  description:
    'A `service.version` a service ran: when it was first and last seen, and the calls its entry operations (SERVER and CONSUMER spans) served in it.',
  fields: (t) => ({
    version: t.exposeString('version'),
    calls: t.int({ resolve: (v) => v.calls }),
    errors: t.int({ resolve: (v) => v.errors }),
    errorRate: t.float({ description: 'errors / calls (0 without calls).', resolve: rate }),
    firstSeen: t.field({ type: 'DateTime', resolve: (v) => v.firstSeen }),
    lastSeen: t.field({ type: 'DateTime', resolve: (v) => v.lastSeen }),
  }),
});

const BY_VERSION = 'Calls and errors of this edge per caller and callee `service.version`, by version.';
const ends = (h: Hop): EdgeEnds => [h.edgeFrom, h.edgeTo];

builder.objectField(TopologyEdgeRef, 'byVersion', (t) =>
  t.field({
    type: [EdgeVersionRef],
    description: BY_VERSION,
    resolve: (e, _a, ctx) => ctx.loaders.edgeVersions.load([e.from, e.to]),
  }),
);

builder.objectField(DependencyHopRef, 'byVersion', (t) =>
  t.field({
    type: [EdgeVersionRef],
    description: `${BY_VERSION} The edge is the last of the path (for dependents: from this component).`,
    // Read by the hop's ends alone: the lightest walk answers it.
    extensions: answeredFrom('named'),
    resolve: (h, _a, ctx) => ctx.loaders.edgeVersions.load(ends(h)),
  }),
);

builder.objectField(CallHopRef, 'byVersion', (t) =>
  t.field({
    type: [EdgeVersionRef],
    description: `${BY_VERSION} Versions of the services whose operations these are.`,
    resolve: (h, _a, ctx) => ctx.loaders.callVersions.load(ends(h)),
  }),
);

builder.objectField(ServiceRef, 'versions', (t) =>
  t.field({
    type: [ServiceVersionRef],
    description: `The \`service.version\`s this service ran, oldest first (at most TOPOGRAPH_VERSIONS_PER_EDGE, the least recently seen dropped first).`,
    resolve: (s, _a, ctx) => ctx.loaders.serviceVersions.load(s.key),
  }),
);
