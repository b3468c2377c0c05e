/**
 * The configuration reference (docs/configuration.md), rendered from the zod schemas in config.ts:
 * each variable with its description, the kind of value it takes and its default. `npm run
 * docs:config` writes it, formatted as the repository's Prettier settings say; test/unit/config.test.ts
 * fails when the file is not current.
 */
import type { z } from 'zod';
import { envSchema, localNeo4jEnvSchema, valueKinds } from './config.js';

/** What a variable takes: the registered kind of its schema, else what zod says of it. */
function kindOf(schema: z.ZodType): string {
  const registered = valueKinds.get(schema)?.kind;
  if (registered) return registered;
  const def = schema._zod.def as { type: string; innerType?: z.ZodType; in?: z.ZodType; entries?: object };
  if (def.innerType) return kindOf(def.innerType);
  if (def.in) return kindOf(def.in);
  if (def.type === 'enum')
    return Object.values(def.entries!)
      .map((v) => `\`${String(v)}\``)
      .join(', ');
  return def.type === 'string' ? 'text' : def.type;
}

function defaultOf(schema: z.ZodType): string {
  const def = schema._zod.def as { type: string; defaultValue?: unknown };
  if (def.type === 'prefault') return def.defaultValue === '' ? 'empty' : `\`${String(def.defaultValue)}\``;
  return 'unset';
}

const cell = (text: string) => text.replaceAll('|', '\\|');

function table(schema: z.ZodObject): string[] {
  return [
    '| variable | default | value | meaning |',
    '| --- | --- | --- | --- |',
    ...Object.entries(schema.shape).map(([name, field]) => {
      const s = field as z.ZodType;
      return `| \`${name}\` | ${cell(defaultOf(s))} | ${cell(kindOf(s))} | ${cell(s.description ?? '')} |`;
    }),
  ];
}

export function renderConfigDocs(): string {
  return [
    '# Configuration',
    '',
    '<!-- Generated from src/core/config.ts by `npm run docs:config`; edit the schema, not this file. -->',
    '',
    'All settings are environment variables, read and checked when a process starts; every problem',
    'is listed at once and the process exits with code 2. An empty variable counts as unset.',
    '',
    ...table(envSchema),
    '',
    'Durations are written `500ms`, `10s`, `15m`, `24h`, `7d`; `true`/`false` may also be written `1`/`0`.',
    '',
    '## The local Neo4j server',
    '',
    'Read by `npm start`, `npm run neo4j` and the tests when `NEO4J_URI` is unset. The tests run a server of their own, in `tests/` under that folder and one port above each (docs/development.md).',
    '',
    ...table(localNeo4jEnvSchema),
    '',
  ].join('\n');
}
