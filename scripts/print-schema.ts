/** `npm run schema:print`: writes the SDL printed from the Pothos builder to schema/schema.graphql. */
import { writeFileSync } from 'node:fs';
import { printSchemaFile, SCHEMA_FILE } from '../src/api/graphql/print.js';

writeFileSync(SCHEMA_FILE, printSchemaFile());
console.log(`wrote ${SCHEMA_FILE}`);
