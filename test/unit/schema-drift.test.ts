/** schema/schema.graphql is the printed contract: it must match what the Pothos builder produces. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printSchemaFile, SCHEMA_FILE } from '../../src/api/graphql/print.js';

describe('schema/schema.graphql', () => {
  it('matches the schema built from the code (run `npm run schema:print` after changing it)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(printSchemaFile());
  });
});
