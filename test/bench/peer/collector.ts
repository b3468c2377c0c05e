/**
 * The OpenTelemetry Collector beside Topograph: built from test/bench/peer (go.mod pins every
 * collector module at one release) into the git-ignored .collector/, and rebuilt only when its
 * sources or the Go toolchain changed. Go is needed by `npm run bench -- --peer` and
 * `npm run test:scale` only. `npx tsx test/bench/peer/collector.ts` builds it ahead of time.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { startProcess, type Child } from '../../support/processes.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT_DIR = join(HERE, '../../../.collector');
export const COLLECTOR_BINARY = join(OUT_DIR, 'otelcol');
const STAMP = `${COLLECTOR_BINARY}.stamp`;
const SOURCES = ['go.mod', 'go.sum', 'main.go'];

function goVersion(): string {
  const r = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    throw new Error(
      'Go is not installed (or not on PATH): the OpenTelemetry Collector of `npm run bench -- --peer` and ' +
        '`npm run test:scale` is built from Go modules. Install Go 1.25 or newer and run again.',
    );
  return r.stdout.trim();
}

/** What the binary was built from: a new stamp means a rebuild. */
function stampOf(): string {
  const hash = createHash('sha256').update(goVersion());
  for (const f of SOURCES) hash.update(readFileSync(join(HERE, f)));
  return hash.digest('hex');
}

/** Builds the Collector unless the binary is current (about 5 minutes on 2 cores the first time). */
export function ensureCollector(log: (line: string) => void = (l) => console.log(l)): string {
  const stamp = stampOf();
  if (existsSync(COLLECTOR_BINARY) && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === stamp)
    return COLLECTOR_BINARY;
  mkdirSync(OUT_DIR, { recursive: true });
  log(`Building the OpenTelemetry Collector (test/bench/peer) into ${COLLECTOR_BINARY}; the first build takes minutes`);
  const started = performance.now();
  const partial = `${COLLECTOR_BINARY}.partial`;
  // -mod=readonly: go.mod and go.sum as committed, nothing resolved anew.
  const r = spawnSync('go', ['build', '-mod=readonly', '-trimpath', '-ldflags=-s -w', '-o', partial, '.'], {
    cwd: HERE,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`building the OpenTelemetry Collector failed (go build exited ${r.status})`);
  renameSync(partial, COLLECTOR_BINARY);
  writeFileSync(STAMP, stamp);
  log(`Built the OpenTelemetry Collector in ${Math.round((performance.now() - started) / 1000)} s`);
  return COLLECTOR_BINARY;
}

/** Starts the built Collector with `config` (written as YAML); resolves once its pipelines run. */
export function startCollector(config: object, timeoutMs = 60_000): Promise<Child> {
  const file = join(mkdtempSync(join(tmpdir(), 'topograph-otelcol-')), 'config.yaml');
  writeFileSync(file, stringify(config));
  return startProcess(COLLECTOR_BINARY, ['--config', file], {}, /Everything is ready/, timeoutMs);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) ensureCollector();
