/**
 * Serves the topology page (src/api/ui) and the one library it uses, Cytoscape, straight from
 * node_modules at its pinned version: no build step, no CDN (the page must work offline).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
// The package's main entry lives in its dist/ folder, beside the ES module build the page imports.
const CYTOSCAPE = join(dirname(createRequire(import.meta.url).resolve('cytoscape')), 'cytoscape.esm.min.mjs');

const FILES: Record<string, { path: string; type: string }> = {
  '/ui': { path: join(HERE, 'index.html'), type: 'text/html; charset=utf-8' },
  '/ui/': { path: join(HERE, 'index.html'), type: 'text/html; charset=utf-8' },
  '/ui/app.js': { path: join(HERE, 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/ui/style.css': { path: join(HERE, 'style.css'), type: 'text/css; charset=utf-8' },
  '/ui/vendor/cytoscape.esm.min.mjs': { path: CYTOSCAPE, type: 'text/javascript; charset=utf-8' },
};

const HEADERS = {
  // Everything the page loads comes from this server; Cytoscape sets element styles from script.
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
  'x-content-type-options': 'nosniff',
};

/** The page's files by URL path; undefined for any other path. */
export function createUiFiles() {
  const cache = new Map<string, Buffer>();
  return async function uiFile(
    pathname: string,
  ): Promise<{ body: Buffer; headers: Record<string, string> } | undefined> {
    const file = FILES[pathname];
    if (!file) return undefined;
    let body = cache.get(pathname);
    if (!body) cache.set(pathname, (body = await readFile(file.path)));
    return { body, headers: { ...HEADERS, 'content-type': file.type } };
  };
}
