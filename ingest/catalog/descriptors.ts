/**
 * Backstage catalog entities (the published descriptor format: apiVersion, kind, metadata, spec), read
 * into the few facts Topograph keeps: who owns a component, which system it belongs to, its lifecycle,
 * and what it declares it depends on. Pure: YAML text or already-parsed objects in, entities and
 * problems out, so that a file import and the REST poller read the catalog the same way.
 */
import { parseAllDocuments } from 'yaml';

/** The kinds kept; every other kind (API, User, Domain, Location, Template…) is skipped and counted. */
export const CATALOG_KINDS = ['Component', 'Resource', 'System', 'Group'] as const;
export type CatalogKind = (typeof CATALOG_KINDS)[number];

/**
 * The annotation naming the observed service an entity is, when its `metadata.name` is not the
 * OpenTelemetry `service.name` (docs/catalog.md).
 */
export const SERVICE_NAME_ANNOTATION = 'topograph.io/service-name';

export interface CatalogEntity {
  /** `kind:namespace/name`, the kind in lower case (Backstage's canonical entity reference) */
  ref: string;
  kind: CatalogKind;
  namespace: string;
  name: string;
  /** the observed component's name it stands for: the annotation, else `metadata.name` */
  matchName: string;
  title: string | null;
  type: string | null;
  owner: string | null;
  system: string | null;
  lifecycle: string | null;
  dependsOn: string[];
  providesApis: string[];
  consumesApis: string[];
}

export interface ReadResult {
  entities: CatalogEntity[];
  /** entities of other kinds, per kind */
  ignored: Record<string, number>;
  /** one line per refused document or value, naming where it came from */
  problems: string[];
}

// Backstage's naming rules: names up to 63 characters of [A-Za-z0-9] runs joined by - _ or .
const NAME = /^[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*$/;
const KIND = /^[A-Za-z][A-Za-z0-9]*$/;
const MAX_NAME = 63;

const validName = (s: string) => s.length <= MAX_NAME && NAME.test(s);

/**
 * Parses an entity reference `[kind:][namespace/]name` into its canonical form, or an error message.
 * Without a kind the field's default applies (owner: group, system: system, APIs: api); `dependsOn`
 * has none, as in Backstage.
 */
export function parseRef(
  value: unknown,
  defaults: { kind?: string; namespace: string },
): { ref: string; kind: string; namespace: string; name: string } | string {
  if (typeof value !== 'string' || value.trim() === '') return `${JSON.stringify(value)} is not an entity reference`;
  const text = value.trim();
  const colon = text.indexOf(':');
  const kind = colon >= 0 ? text.slice(0, colon) : defaults.kind;
  const rest = colon >= 0 ? text.slice(colon + 1) : text;
  const slash = rest.indexOf('/');
  const namespace = slash >= 0 ? rest.slice(0, slash) : defaults.namespace;
  const name = slash >= 0 ? rest.slice(slash + 1) : rest;
  if (!kind) return `"${text}" has no kind (write it as kind:name, e.g. resource:${name})`;
  if (!KIND.test(kind) || !validName(namespace) || !validName(name)) {
    return `"${text}" is not an entity reference like [kind:][namespace/]name`;
  }
  const k = kind.toLowerCase();
  const ns = namespace.toLowerCase();
  return { ref: `${k}:${ns}/${name.toLowerCase()}`, kind: k, namespace: ns, name };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const optionalString = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);

/** Reads entities from parsed objects (YAML documents, or the REST API's JSON array). */
export function readEntities(items: { value: unknown; where: string }[]): ReadResult {
  const result: ReadResult = { entities: [], ignored: {}, problems: [] };
  for (const { value, where } of items) {
    if (value === null || value === undefined) continue; // an empty document, as `---` at the end leaves
    const problem = (message: string) => result.problems.push(`${where}: ${message}`);
    if (!isRecord(value) || typeof value.kind !== 'string' || !isRecord(value.metadata)) {
      problem('not a catalog entity (needs apiVersion, kind, metadata and spec)');
      continue;
    }
    if (typeof value.apiVersion !== 'string' || !value.apiVersion.startsWith('backstage.io/')) {
      problem(`apiVersion ${JSON.stringify(value.apiVersion)} is not backstage.io/…`);
      continue;
    }
    const kind = CATALOG_KINDS.find((k) => k.toLowerCase() === (value.kind as string).toLowerCase());
    if (!kind) {
      result.ignored[value.kind] = (result.ignored[value.kind] ?? 0) + 1;
      continue;
    }
    const metadata = value.metadata;
    const spec = isRecord(value.spec) ? value.spec : {};
    const namespace = metadata.namespace ?? 'default';
    if (typeof metadata.name !== 'string' || !validName(metadata.name)) {
      problem(`metadata.name ${JSON.stringify(metadata.name)} is not a name (up to 63 of A-Z a-z 0-9 - _ .)`);
      continue;
    }
    const self = parseRef(`${kind}:${String(namespace)}/${metadata.name}`, { namespace: 'default' });
    if (typeof self === 'string') {
      problem(`metadata.namespace ${JSON.stringify(namespace)} is not a namespace`);
      continue;
    }
    const label = `${where} (${self.ref})`;
    const refs = (field: string, defaultKind?: string): string[] => {
      const raw = spec[field];
      if (raw === undefined || raw === null) return [];
      if (!Array.isArray(raw)) {
        result.problems.push(`${label}: spec.${field} is not a list; ignored`);
        return [];
      }
      const out: string[] = [];
      for (const item of raw) {
        const r = parseRef(item, { kind: defaultKind, namespace: self.namespace });
        if (typeof r === 'string') result.problems.push(`${label}: spec.${field}: ${r}; ignored`);
        else out.push(r.ref);
      }
      return out;
    };
    const single = (field: string, defaultKind: string): string | null => {
      if (spec[field] === undefined || spec[field] === null) return null;
      const r = parseRef(spec[field], { kind: defaultKind, namespace: self.namespace });
      if (typeof r === 'string') {
        result.problems.push(`${label}: spec.${field}: ${r}; ignored`);
        return null;
      }
      return r.ref;
    };
    const annotations = isRecord(metadata.annotations) ? metadata.annotations : {};
    result.entities.push({
      ref: self.ref,
      kind,
      namespace: self.namespace,
      name: self.name,
      matchName: optionalString(annotations[SERVICE_NAME_ANNOTATION]) ?? self.name,
      title: optionalString(metadata.title),
      type: optionalString(spec.type),
      owner: single('owner', 'group'),
      system: single('system', 'system'),
      lifecycle: optionalString(spec.lifecycle),
      dependsOn: refs('dependsOn'),
      providesApis: refs('providesApis', 'api'),
      consumesApis: refs('consumesApis', 'api'),
    });
  }
  return result;
}

/** Reads a `catalog-info.yaml` file: every YAML document in it; a malformed document costs only itself. */
export function readCatalogYaml(text: string, origin: string): ReadResult {
  const items: { value: unknown; where: string }[] = [];
  const problems: string[] = [];
  parseAllDocuments(text).forEach((doc, i) => {
    const where = `${origin}: document ${i + 1}`;
    if (doc.errors.length > 0)
      problems.push(`${where}: malformed YAML: ${doc.errors[0]!.message.split('\n')[0]!.replace(/:$/, '')}`);
    else items.push({ value: doc.toJS(), where });
  });
  const read = readEntities(items);
  return { ...read, problems: [...problems, ...read.problems] };
}

/** One declared dependency between two entities: `dependsOn`, or a consumed API another entity provides. */
export interface DeclaredDependency {
  from: string;
  to: string;
  /** `dependsOn`, or the API's reference */
  via: string;
}

/**
 * The dependencies a catalog declares: each `dependsOn`, and from every consumer of an API to every
 * entity providing it (a consumer of an API depends on its provider). APIs nobody provides are listed.
 */
export function declaredDependencies(
  entities: Pick<CatalogEntity, 'ref' | 'dependsOn' | 'providesApis' | 'consumesApis'>[],
) {
  const providers = new Map<string, string[]>();
  for (const e of entities)
    for (const api of e.providesApis) providers.set(api, [...(providers.get(api) ?? []), e.ref]);
  const edges = new Map<string, DeclaredDependency>();
  const unprovidedApis = new Set<string>();
  const add = (d: DeclaredDependency) => {
    if (d.from !== d.to && !edges.has(`${d.from} ${d.to}`)) edges.set(`${d.from} ${d.to}`, d);
  };
  for (const e of entities) {
    for (const to of e.dependsOn) add({ from: e.ref, to, via: 'dependsOn' });
    for (const api of e.consumesApis) {
      const by = providers.get(api);
      if (!by) unprovidedApis.add(api);
      for (const to of by ?? []) add({ from: e.ref, to, via: api });
    }
  }
  return { dependencies: [...edges.values()], unprovidedApis: [...unprovidedApis].sort() };
}
