/** Reads `catalog-info.yaml` files into the declared map; a file that cannot be read costs only itself. */
import { readFile } from 'node:fs/promises';
import { readCatalogYaml, type CatalogEntity } from './descriptors.js';
import type { CatalogStore, CatalogWrite } from './store.js';

/** The source file imports are stored under; they add and update, never remove (docs/catalog.md). */
export const FILE_SOURCE = 'file';

export interface CatalogFilesResult extends CatalogWrite {
  ignored: Record<string, number>;
  problems: string[];
}

/** Imports `files` as the catalog of `environment` (`''`: every environment). */
export async function importCatalogFiles(
  files: string[],
  store: CatalogStore,
  environment = '',
): Promise<CatalogFilesResult> {
  const entities = new Map<string, CatalogEntity>();
  const ignored: Record<string, number> = {};
  const problems: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      problems.push(`${file}: cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      continue;
    }
    const read = readCatalogYaml(text, file);
    // The same reference twice: the later definition wins, as a re-import would.
    for (const e of read.entities) entities.set(e.ref, e);
    for (const [kind, n] of Object.entries(read.ignored)) ignored[kind] = (ignored[kind] ?? 0) + n;
    problems.push(...read.problems);
  }
  const written = await store.write(FILE_SOURCE, [...entities.values()], { mirror: false, environment });
  return { ...written, ignored, problems };
}

/** The lines `npm run import:catalog` prints. */
export function formatCatalogResult(r: CatalogFilesResult): string[] {
  const ignored = Object.entries(r.ignored)
    .map(([kind, n]) => `${n} ${kind}`)
    .join(', ');
  return [
    ...r.problems.map((p) => `error: ${p}`),
    ...r.unprovidedApis.map((api) => `warning: ${api} is consumed but no entity provides it`),
    `${r.entities} entities stored, ${r.declaredDependencies} declared dependencies in the catalog, ` +
      `${r.ownerChanges} owner changes${ignored ? `; ignored: ${ignored}` : ''}`,
  ];
}
