/**
 * `npm run test:corpus -- DIR`: the extra conformance run against a trace corpus outside the
 * repository (test/corpus/, the files read from DIR). The repository's own suite needs no corpus.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const [dir, ...rest] = process.argv.slice(2);
if (!dir || !existsSync(dir)) {
  console.error(
    `usage: npm run test:corpus -- DIR [vitest options]\n${dir ? `no such folder: ${dir}` : 'DIR is missing'}`,
  );
  process.exit(2);
}
const run = spawnSync('npx', ['vitest', 'run', '--project', 'corpus', ...rest], {
  stdio: 'inherit',
  env: { ...process.env, TOPOGRAPH_CORPUS: resolve(dir) },
});
process.exit(run.status ?? 1);
