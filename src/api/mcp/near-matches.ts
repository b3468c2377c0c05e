/**
 * "Did you mean": when a tool is given a name the graph does not know, the answer names the closest
 * known ones, so an agent can correct a typo or a guessed name in one more call.
 */
import { distance } from 'fastest-levenshtein';
import type { AskGraphql } from './graphql-client.js';

const MAX_SUGGESTIONS = 5;

/** The known names closest to `wanted`: containing it (or contained in it), or a few edits away. */
export function nearMatches(wanted: string, known: Iterable<string>, max = MAX_SUGGESTIONS): string[] {
  const w = wanted.toLowerCase();
  const budget = Math.max(2, Math.floor(w.length / 3));
  const scored: { name: string; score: number }[] = [];
  for (const name of new Set(known)) {
    const n = name.toLowerCase();
    const d = distance(w, n);
    // A name that contains the wanted one (or the reverse) ranks just behind a one-edit typo.
    const score = n.includes(w) || w.includes(n) ? Math.min(d, 1.5) : d;
    if (score <= budget) scored.push({ name, score });
  }
  return scored
    .sort((a, b) => a.score - b.score || a.name.localeCompare(b.name))
    .slice(0, max)
    .map((s) => s.name);
}

const COMPONENT_NAMES = /* GraphQL */ `
  query McpComponentNames($environment: String) {
    topology(environment: $environment) {
      nodes {
        name
      }
    }
  }
`;

const ENVIRONMENT_NAMES = /* GraphQL */ `
  query McpEnvironmentNames {
    environments {
      name
    }
  }
`;

const TAG_VALUES = /* GraphQL */ `
  query McpTagValues($key: String!) {
    tag(key: $key) {
      values(first: 500) {
        value
      }
    }
  }
`;

function didYouMean(what: string, wanted: string, near: string[], hint: string, where = ''): string {
  const guess = near.length > 0 ? ` Did you mean ${near.map((n) => `"${n}"`).join(', ')}?` : '';
  return `No ${what} named "${wanted}" was seen${where}.${guess} ${hint}`.trimEnd();
}

/** The message for an unknown component (service, database, external peer, destination). */
export async function unknownComponent(ask: AskGraphql, name: string, environment?: string): Promise<string> {
  const [components, environments] = await Promise.all([
    ask(COMPONENT_NAMES, { environment }),
    environment === undefined ? undefined : ask(ENVIRONMENT_NAMES),
  ]);
  const names = ((components.data?.topology?.nodes ?? []) as { name: string }[]).map((n) => n.name);
  if (environment !== undefined) {
    const envs = ((environments?.data?.environments ?? []) as { name: string }[]).map((e) => e.name);
    if (!envs.includes(environment)) return unknownEnvironmentMessage(environment, envs);
  }
  return didYouMean(
    'component',
    name,
    nearMatches(name, names),
    'The topology tool lists every component of an environment.',
    environment === undefined ? '' : ` in environment "${environment}"`,
  );
}

function unknownEnvironmentMessage(environment: string, known: string[]): string {
  return didYouMean(
    'environment',
    environment,
    nearMatches(environment, known),
    `Known environments: ${known.slice(0, 20).join(', ') || 'none yet'}.`,
  );
}

/** The message for an environment with nothing in it, or undefined when the environment is known. */
export async function unknownEnvironment(ask: AskGraphql, environment: string): Promise<string | undefined> {
  const answer = await ask(ENVIRONMENT_NAMES);
  const known = ((answer.data?.environments ?? []) as { name: string }[]).map((e) => e.name);
  return known.includes(environment) ? undefined : unknownEnvironmentMessage(environment, known);
}

/** The message for a tag value no request carried. */
export async function unknownTagValue(ask: AskGraphql, key: string, value: string): Promise<string> {
  const answer = await ask(TAG_VALUES, { key });
  const values = ((answer.data?.tag?.values ?? []) as { value: string }[]).map((v) => v.value);
  if (values.length === 0) {
    return `No value of the tag "${key}" was seen. Only allow-listed keys are recorded (TOPOGRAPH_TAG_KEYS), e.g. tenant.id, client.version.`;
  }
  return didYouMean(`value of "${key}"`, value, nearMatches(value, values), '');
}
