/**
 * Reading a field's selection before resolving it, so that a resolver can ask Neo4j for just what
 * the query will read (no rings when no latency is asked for) or for its children in the same
 * statement (one round trip where there would be two).
 */
import {
  isInterfaceType,
  isObjectType,
  Kind,
  type FieldNode,
  type GraphQLNamedType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';

/**
 * How little of a record a field needs read to be answered: `named` (a component's key, name and
 * kind; a hop's depth and path) or `summary` (also an edge's or operation's counts and times, not its
 * histogram and rings). A field declares it where it is defined, in `extensions`; a field without it
 * needs the whole record. The look-ahead sets below are read from the schema, so they follow the types.
 */
export type ReadWeight = 'named' | 'summary';

/** A field's `extensions` saying it is answered from a read of `weight` (and so from any heavier one). */
export const answeredFrom = (weight: ReadWeight) => ({ answeredFrom: weight });

/** Fields every record answers: its type, and its id if it has one (a key, which every read returns). */
const ALWAYS = ['__typename', 'id'];

const lighter: Record<ReadWeight, ReadWeight[]> = { named: ['named'], summary: ['named', 'summary'] };
const answeredSets = new WeakMap<GraphQLNamedType, Map<ReadWeight, Set<string>>>();

/** The fields of type `typeName` a read of `weight` answers (from its fields' `answeredFrom`). */
export function fieldsAnsweredFrom(schema: GraphQLSchema, typeName: string, weight: ReadWeight): Set<string> {
  const type = schema.getType(typeName);
  if (!type || !(isObjectType(type) || isInterfaceType(type))) throw new Error(`no object type ${typeName}`);
  let sets = answeredSets.get(type);
  if (!sets) answeredSets.set(type, (sets = new Map()));
  let set = sets.get(weight);
  if (!set) {
    const fields = Object.values(type.getFields());
    const names = fields
      .filter((f) => ALWAYS.includes(f.name) || lighter[weight].includes(f.extensions?.answeredFrom as ReadWeight))
      .map((f) => f.name);
    sets.set(weight, (set = new Set(['__typename', ...names])));
  }
  return set;
}

/** The field selections directly under `nodes`, through fragments and inline fragments. */
function fieldsUnder(info: GraphQLResolveInfo, nodes: readonly FieldNode[]): FieldNode[] {
  const out: FieldNode[] = [];
  const visit = (set: SelectionSetNode | undefined) => {
    for (const s of set?.selections ?? []) {
      if (s.kind === Kind.FIELD) out.push(s);
      else if (s.kind === Kind.INLINE_FRAGMENT) visit(s.selectionSet);
      else visit(info.fragments[s.name.value]?.selectionSet);
    }
  };
  for (const node of nodes) visit(node.selectionSet);
  return out;
}

/** The selections of child field `name` under `nodes` (every selection of it, whatever its arguments). */
export function fieldsNamed(info: GraphQLResolveInfo, nodes: readonly FieldNode[], name: string): FieldNode[] {
  return fieldsUnder(info, nodes).filter((f) => f.name.value === name);
}

/**
 * Answers of `selectsOnly` by selection: a field of a list is resolved once per item with the same
 * selection nodes (a deep walk's `component`, ~300 times a question), and a compiled query keeps its
 * nodes from one request to the next. The field sets are fieldsAnsweredFrom's, made once per type and
 * weight, so each selection holds a few answers at most.
 */
const selectsOnlyAnswers = new WeakMap<readonly FieldNode[], Map<Set<string>, boolean>>();

/** True when the selection reads only `fields`, so the measures' rings can stay in the database. */
export function selectsOnly(info: GraphQLResolveInfo, fields: Set<string>, nodes = info.fieldNodes): boolean {
  let answers = selectsOnlyAnswers.get(nodes);
  if (!answers) selectsOnlyAnswers.set(nodes, (answers = new Map()));
  let answer = answers.get(fields);
  if (answer === undefined) {
    answer = fieldsUnder(info, nodes).every((f) => fields.has(f.name.value));
    answers.set(fields, answer);
  }
  return answer;
}

/**
 * The selections of child field `name` when it is selected and every selection of it takes only the
 * given literal arguments (none: its defaults hold); undefined otherwise, or when it is not selected.
 */
export function childWith(
  info: GraphQLResolveInfo,
  name: string,
  literals: Record<string, string> = {},
): FieldNode[] | undefined {
  const found = fieldsNamed(info, info.fieldNodes, name);
  const plain = (f: FieldNode) =>
    (f.arguments ?? []).every(
      (a) =>
        a.value.kind === Kind.INT && literals[a.name.value] !== undefined && a.value.value === literals[a.name.value],
    );
  return found.length > 0 && found.every(plain) ? found : undefined;
}

/**
 * The selections of child field `name` and the value of its one integer argument `arg`, when every
 * selection of it passes that argument as the same literal and nothing else; undefined otherwise.
 */
export function childWithInt(
  info: GraphQLResolveInfo,
  name: string,
  arg: string,
): { nodes: FieldNode[]; value: number } | undefined {
  const found = fieldsNamed(info, info.fieldNodes, name);
  const literal = (f: FieldNode) => {
    const [a, ...rest] = f.arguments ?? [];
    return a && rest.length === 0 && a.name.value === arg && a.value.kind === Kind.INT ? a.value.value : undefined;
  };
  const values = new Set(found.map(literal));
  const [value] = values;
  return found.length > 0 && values.size === 1 && value !== undefined
    ? { nodes: found, value: Number(value) }
    : undefined;
}
