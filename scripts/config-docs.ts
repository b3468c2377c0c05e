/** `npm run docs:config`: writes docs/configuration.md from the configuration schema. */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { renderConfigDocs } from '../src/core/config-docs.js';

export const CONFIG_DOCS = fileURLToPath(new URL('../docs/configuration.md', import.meta.url));

/** The reference as the file should read: rendered, then formatted as `npm run lint` checks it. */
export async function configDocs(): Promise<string> {
  return format(renderConfigDocs(), { ...(await resolveConfig(CONFIG_DOCS)), filepath: CONFIG_DOCS });
}

export const configDocsCurrent = async () => readFileSync(CONFIG_DOCS, 'utf8') === (await configDocs());

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(CONFIG_DOCS, await configDocs());
  console.log('wrote docs/configuration.md');
}
