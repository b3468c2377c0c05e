/**
 * Reading a field's selection before resolving it, so that a resolver can ask Neo4j for just what
 * the query will read (no rings when no latency is asked for) or for its children in the same
 * statement (one round trip where there would be two).
 */
import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/** The field selections directly under the resolved field, through fragments and inline fragments. */
function childFields(info: GraphQLResolveInfo) {
  const out: { name: string; args: number }[] = [];
  const visit = (set: SelectionSetNode | undefined) => {
    for (const s of set?.selections ?? []) {
      if (s.kind === Kind.FIELD) out.push({ name: s.name.value, args: s.arguments?.length ?? 0 });
      else if (s.kind === Kind.INLINE_FRAGMENT) visit(s.selectionSet);
      else visit(info.fragments[s.name.value]?.selectionSet);
    }
  };
  for (const node of info.fieldNodes) visit(node.selectionSet);
  return out;
}

/** True when the selection reads only `fields`, so the measures' rings can stay in the database. */
export function selectsOnly(info: GraphQLResolveInfo, fields: Set<string>): boolean {
  return childFields(info).every((f) => fields.has(f.name));
}

/** True when `name` is selected, and only ever without arguments (its defaults then hold). */
export function selectsPlain(info: GraphQLResolveInfo, name: string): boolean {
  const found = childFields(info).filter((f) => f.name === name);
  return found.length > 0 && found.every((f) => f.args === 0);
}
