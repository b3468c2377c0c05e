/**
 * Every GraphQL example in the README and in docs/api.md is one GraphiQL opens with
 * (src/api/graphql/examples.ts), word for word once formatted, and is valid against the schema: the
 * examples users copy and the ones they run stay the same queries.
 */
import { readFileSync } from 'node:fs';
import { Kind, parse, print, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { QUESTION_QUERIES, README_QUERIES } from '../../src/api/graphql/examples.js';
import { schema } from '../../src/api/graphql/schema.js';

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
// A block may hold several queries (docs/api.md's first holds the five examples): each is one example.
const examplesIn = (text: string) =>
  [...text.matchAll(/```graphql\n([\s\S]*?)```/g)].flatMap((m) =>
    parse(m[1]!).definitions.map((d) => print({ kind: Kind.DOCUMENT, definitions: [d] })),
  );
const readme = examplesIn(read('README.md'));
const api = examplesIn(read('docs/api.md'));
const examples = [...readme, ...api];
const normal = (q: string) => print(parse(q));
const offered = new Set([...Object.values(README_QUERIES), ...Object.values(QUESTION_QUERIES)].map(normal));

describe('README and docs/api.md GraphQL examples', () => {
  it('are there: the README shows one, docs/api.md every example and every question', () => {
    expect(readme.length).toBeGreaterThanOrEqual(1);
    for (const q of Object.values(README_QUERIES)) expect(api).toContain(normal(q));
    for (const q of Object.values(QUESTION_QUERIES)) expect(api).toContain(normal(q));
  });

  it.each(examples.map((b) => [b.split('\n').slice(0, 2).join(' ').trim(), b]))(
    '%s … is offered in GraphiQL and valid',
    (_, block) => {
      const doc = parse(block);
      expect(validate(schema, doc)).toEqual([]);
      expect(offered.has(print(doc)), print(doc)).toBe(true);
    },
  );
});
