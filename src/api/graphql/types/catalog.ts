/**
 * The declared map (docs/catalog.md): `Component.declared`, the catalog entity a component stands
 * for, and `drift`, where the catalog's declared dependencies and the observed traffic disagree.
 */
import { builder } from '../builder.js';
import { sinceMs } from '../context.js';
import { loadComponent } from '../data/components.js';
import {
  loadDeclared,
  loadDrift,
  MAX_DRIFT_ITEMS,
  type DeclaredRecord,
  type Drift,
  type DriftEdge,
  type DriftEnd,
} from '../data/catalog.js';
import { ComponentRef } from './component.js';

const DeclaredRef = builder.objectRef<DeclaredRecord>('Declared').implement({
  description: 'What a Backstage catalog entity declares about a component.',
  fields: (t) => ({
    ref: t.exposeString('ref', {
      description: 'The entity reference, `kind:namespace/name`, e.g. `component:default/checkout`.',
    }),
    kind: t.exposeString('kind', { description: '`Component`, `Resource`, `System` or `Group`.' }),
    title: t.exposeString('title', { nullable: true, description: '`metadata.title`.' }),
    type: t.exposeString('type', { nullable: true, description: '`spec.type`, e.g. `service`, `database`.' }),
    owner: t.exposeString('owner', {
      nullable: true,
      description: '`spec.owner` as an entity reference (a bare name is a group), e.g. `group:default/team-a`.',
    }),
    system: t.exposeString('system', {
      nullable: true,
      description: '`spec.system` as an entity reference, e.g. `system:default/shop`.',
    }),
    lifecycle: t.exposeString('lifecycle', { nullable: true, description: '`spec.lifecycle`, e.g. `production`.' }),
    source: t.exposeString('source', {
      description: 'Where it was read: `file` (`npm run import:catalog`) or `backstage:<url>` (the REST API).',
    }),
    importedAt: t.field({ type: 'DateTime', description: 'When it was last read.', resolve: (d) => d.importedAt }),
    previousOwner: t.exposeString('previousOwner', {
      nullable: true,
      description: 'The owner before the last owner change.',
    }),
    ownerChangedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the owner last changed between two imports.',
      resolve: (d) => d.ownerChangedAt,
    }),
  }),
});

builder.interfaceField(ComponentRef, 'declared', (t) =>
  t.field({
    type: DeclaredRef,
    nullable: true,
    description:
      'The catalog entity this component stands for (matched by name, or by the `topograph.io/service-name` annotation; docs/catalog.md); null when the catalog does not name it.',
    resolve: (c, _a, ctx) => loadDeclared(ctx, c),
  }),
);

const DriftEndRef = builder.objectRef<DriftEnd>('DriftEnd').implement({
  description: 'One end of a drift edge: a name, and what the catalog and the traffic know of it.',
  fields: (t) => ({
    name: t.exposeString('name', { description: "The component name (the catalog entity's matched name)." }),
    ref: t.exposeString('ref', {
      nullable: true,
      description: 'The catalog entity; null when the catalog does not hold it.',
    }),
    component: t.field({
      type: ComponentRef,
      nullable: true,
      description: 'The observed component of that name in the environment; null when none was seen.',
      resolve: (e, _a, ctx) => (e.key ? loadComponent(ctx, e.key) : null),
    }),
  }),
});

const DriftEdgeRef = builder.objectRef<DriftEdge>('DriftEdge').implement({
  description: 'A dependency only one side knows: declared in the catalog, or seen in the traffic.',
  fields: (t) => ({
    from: t.field({ type: DriftEndRef, resolve: (e) => e.from }),
    to: t.field({ type: DriftEndRef, resolve: (e) => e.to }),
    environment: t.exposeString('environment', {
      nullable: true,
      description: 'Where the edge was seen; for a declared edge, the environment asked about (null: every one).',
    }),
    via: t.exposeString('via', {
      nullable: true,
      description:
        'How the catalog declares it: `dependsOn`, or the API the consumer consumes (`api:default/…`); null when undeclared.',
    }),
  }),
});

const DriftSummaryRef = builder.objectRef<Drift['summary']>('DriftSummary').implement({
  description: 'The counts behind the drift lists (the lists stop at `first`, the counts do not).',
  fields: (t) => ({
    declaredEdges: t.exposeInt('declaredEdges', { description: 'Dependencies the catalog declares.' }),
    observedEdges: t.exposeInt('observedEdges', { description: 'Dependencies seen in the window.' }),
    matchingEdges: t.exposeInt('matchingEdges', { description: 'Seen dependencies the catalog also declares.' }),
    declaredNotObserved: t.exposeInt('declaredNotObserved'),
    observedNotDeclared: t.exposeInt('observedNotDeclared'),
    declaredComponentsNotObserved: t.exposeInt('declaredComponentsNotObserved'),
    servicesNotDeclared: t.exposeInt('servicesNotDeclared'),
    catalogEntities: t.exposeInt('catalogEntities', { description: 'Components, Resources, Systems and Groups held.' }),
    catalogImportedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'The newest import; null when no catalog was imported.',
      resolve: (s) => s.catalogImportedAt,
    }),
  }),
});

const DriftRef = builder.objectRef<Drift>('Drift').implement({
  description: 'Where the declared map (the catalog) and the observed map (the traffic) disagree.',
  fields: (t) => ({
    environment: t.exposeString('environment', { nullable: true }),
    since: t.field({ type: 'DateTime', description: 'Traffic is counted from here.', resolve: (d) => d.since }),
    declaredNotObserved: t.field({
      type: [DriftEdgeRef],
      description: 'Dependencies the catalog declares that no traffic showed in the window, by name.',
      resolve: (d) => d.declaredNotObserved,
    }),
    observedNotDeclared: t.field({
      type: [DriftEdgeRef],
      description: 'Dependencies seen in the window that the catalog does not declare, by name.',
      resolve: (d) => d.observedNotDeclared,
    }),
    declaredComponentsNotObserved: t.stringList({
      description:
        'Catalog Components and Resources (references) no component of their name was seen as in the window.',
      resolve: (d) => d.declaredComponentsNotObserved,
    }),
    servicesNotDeclared: t.field({
      type: [ComponentRef],
      description: 'Services seen in the window that the catalog does not name.',
      resolve: (d, _a, ctx) => Promise.all(d.servicesNotDeclared.map((key) => loadComponent(ctx, key))),
    }),
    summary: t.field({ type: DriftSummaryRef, resolve: (d) => d.summary }),
  }),
});

builder.queryField('drift', (t) =>
  t.field({
    type: DriftRef,
    description: `Where the catalog and the traffic disagree in an environment (null: all of them, a declared edge then counting as seen when seen in any): declared dependencies not seen since \`since\` (default: the live window), dependencies seen but not declared, and components only one side knows. Each list holds at most \`first\` (up to ${MAX_DRIFT_ITEMS}); \`summary\` counts them all.`,
    args: {
      environment: t.arg.string({ required: false }),
      since: t.arg({ type: 'DateTime', required: false }),
      first: t.arg.int({ required: true, defaultValue: 200 }),
    },
    resolve: (_root, args, ctx) =>
      loadDrift(ctx, { environment: args.environment ?? null, since: sinceMs(ctx, args.since), first: args.first }),
  }),
);
