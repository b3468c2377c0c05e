/**
 * The project-managed local Neo4j: Neo4j Community from Maven Central, run on the machine's Java.
 *
 * Everything lives under one ignored folder of the checkout (default `.neo4j/`):
 *   lib/        the server's jars (fetched once with `mvn dependency:copy-dependencies`)
 *   conf/       neo4j.conf, generated
 *   data/ logs/ the database and its logs
 *   password    the generated password of the `neo4j` user
 *   neo4j.pid   the running server, so later starts reuse it
 *   stopping    the pid of a server being stopped, so a start meanwhile waits for it to be gone
 *   tests/      the test suite's own server (the same layout, on the jars in lib/): `npm test`
 *               writes its data there, not into the store `npm start` shows
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLocalNeo4jEnv } from '../config.js';
import { isAlive } from '../process-alive.js';

export const NEO4J_VERSION = '5.26.30';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const POM = join(REPO_ROOT, 'neo4j-local', 'pom.xml');

export interface LocalNeo4jOptions {
  dir: string;
  boltPort: number;
  httpPort: number;
  heap: string;
  pageCache: string;
  log: (msg: string) => void;
  /**
   * The server's jars, when not `<dir>/lib`: a second instance (the outage test's) runs on the jars
   * already fetched for the project's server instead of fetching them again. Never fetched into.
   */
  libDir?: string;
}

export interface LocalNeo4j {
  uri: string;
  user: string;
  password: string;
  /** true when this call started the server (false when it reused a running one) */
  started: boolean;
  pid: number;
}

export function defaultLocalOptions(overrides: Partial<LocalNeo4jOptions> = {}): LocalNeo4jOptions {
  const env = loadLocalNeo4jEnv();
  return {
    dir: resolve(REPO_ROOT, env.TOPOGRAPH_LOCAL_NEO4J_DIR),
    boltPort: env.TOPOGRAPH_LOCAL_NEO4J_BOLT_PORT,
    httpPort: env.TOPOGRAPH_LOCAL_NEO4J_HTTP_PORT,
    heap: env.TOPOGRAPH_LOCAL_NEO4J_HEAP,
    pageCache: env.TOPOGRAPH_LOCAL_NEO4J_PAGECACHE,
    log: (msg) => process.stderr.write(`[neo4j-local] ${msg}\n`),
    ...overrides,
  };
}

/**
 * The test suite's local server: a store of its own beside the project's (`<dir>/tests`), one port
 * above each of its ports, on its jars. Tests leave their services and environments behind (each
 * names its own, and none wipes what it cannot tell is its own); here they do not end up in the map
 * `npm start` shows.
 */
export function testLocalOptions(overrides: Partial<LocalNeo4jOptions> = {}): LocalNeo4jOptions {
  const shared = defaultLocalOptions();
  return defaultLocalOptions({
    dir: join(shared.dir, 'tests'),
    libDir: join(shared.dir, 'lib'),
    boltPort: shared.boltPort + 1,
    httpPort: shared.httpPort + 1,
    ...overrides,
  });
}

const paths = (dir: string, libDir = join(dir, 'lib')) => ({
  lib: libDir,
  libMarker: join(libDir, '.topograph-version'),
  conf: join(dir, 'conf'),
  data: join(dir, 'data'),
  logs: join(dir, 'logs'),
  password: join(dir, 'password'),
  pid: join(dir, 'neo4j.pid'),
  stopping: join(dir, 'stopping'),
  lock: join(dir, 'start.lock'),
  stdout: join(dir, 'logs', 'console.log'),
});

function readPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Fetch the server's jars with Maven unless this version is already there. */
export function fetchServer(opts: LocalNeo4jOptions): void {
  const p = paths(opts.dir, opts.libDir);
  if (existsSync(p.libMarker) && readFileSync(p.libMarker, 'utf8').trim() === NEO4J_VERSION) return;
  // Someone else's folder (possibly in use by their running server): not ours to replace.
  if (opts.libDir)
    throw new Error(`${opts.libDir} does not hold Neo4j ${NEO4J_VERSION}; start the default local server once`);
  opts.log(`fetching Neo4j ${NEO4J_VERSION} from Maven Central (first start only)…`);
  rmSync(p.lib, { recursive: true, force: true });
  const result = spawnSync(
    'mvn',
    ['-B', '-q', '-f', POM, 'dependency:copy-dependencies', `-DoutputDirectory=${p.lib}`, '-DincludeScope=runtime'],
    // Maven's output goes to stderr: stdout is the protocol channel of `npm run mcp`, which may fetch.
    { stdio: ['ignore', 2, 2] },
  );
  if (result.error) throw new Error(`could not run Maven (mvn): ${result.error.message}`);
  if (result.status !== 0) throw new Error(`mvn dependency:copy-dependencies failed with exit code ${result.status}`);
  writeFileSync(p.libMarker, NEO4J_VERSION);
}

function writeConfig(opts: LocalNeo4jOptions): void {
  const p = paths(opts.dir);
  mkdirSync(p.conf, { recursive: true });
  // What the distribution's conf/neo4j.conf and bin/neo4j would otherwise provide.
  const conf = [
    'server.default_listen_address=127.0.0.1',
    'server.default_advertised_address=127.0.0.1',
    `server.bolt.listen_address=127.0.0.1:${opts.boltPort}`,
    `server.http.listen_address=127.0.0.1:${opts.httpPort}`,
    'server.https.enabled=false',
    `server.directories.data=${p.data}`,
    `server.directories.logs=${p.logs}`,
    `server.memory.heap.initial_size=${opts.heap}`,
    `server.memory.heap.max_size=${opts.heap}`,
    `server.memory.pagecache.size=${opts.pageCache}`,
    'dbms.security.auth_enabled=true',
    'dbms.usage_report.enabled=false',
    'db.tx_log.rotation.retention_policy=2 files',
    '',
  ].join('\n');
  writeFileSync(join(p.conf, 'neo4j.conf'), conf);
}

function java(): string {
  return process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

const JVM_FLAGS = [
  '-XX:+UseG1GC',
  '-XX:-OmitStackTraceInFastThrow',
  '-XX:+DisableExplicitGC',
  '-Djdk.nio.maxCachedBufferSize=1024',
  '-Dio.netty.tryReflectionSetAccessible=true',
  '-Dlog4j2.disable.jmx=true',
  '--add-opens=java.base/java.nio=ALL-UNNAMED',
  '--add-opens=java.base/java.io=ALL-UNNAMED',
  '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
  '--add-opens=java.base/java.lang=ALL-UNNAMED',
  '--enable-native-access=ALL-UNNAMED',
];

async function acquireLock(file: string): Promise<() => void> {
  for (let i = 0; i < 600; i++) {
    try {
      const fd = openSync(file, 'wx');
      writeFileSync(file, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch {
      const holder = readPid(file);
      if (holder !== undefined && !isAlive(holder)) rmSync(file, { force: true });
      await sleep(200);
    }
  }
  throw new Error(`timed out waiting for ${file}`);
}

/** Start the local server, or reuse the one already running from this folder. */
export async function ensureLocalNeo4j(opts: LocalNeo4jOptions = defaultLocalOptions()): Promise<LocalNeo4j> {
  mkdirSync(opts.dir, { recursive: true });
  const p = paths(opts.dir, opts.libDir);
  const release = await acquireLock(p.lock);
  try {
    const uri = `bolt://127.0.0.1:${opts.boltPort}`;
    const running = readPid(p.pid);
    if (running !== undefined && isAlive(running) && readPid(p.stopping) === running) {
      // `npm start` right after Ctrl-C: the last one's server is still shutting down; reusing it would
      // end in its exit, starting beside it in a port and store still held.
      opts.log(`waiting for the Neo4j being stopped (pid ${running}) to exit…`);
      await waitForExit(running, STOP_TIMEOUT_MS);
      if (isAlive(running))
        throw new Error(`Neo4j (pid ${running}) is still stopping after ${STOP_TIMEOUT_MS / 1000} s`);
    } else if (running !== undefined && isAlive(running) && existsSync(p.password)) {
      try {
        await waitForBolt(opts.boltPort, running, p.stdout);
        return { uri, user: 'neo4j', password: readFileSync(p.password, 'utf8').trim(), started: false, pid: running };
      } catch (error) {
        // It stopped under us (stopped from elsewhere, or crashed): start a new one instead.
        if (isAlive(running)) throw error;
        opts.log(`the running Neo4j (pid ${running}) exited; starting a new one`);
      }
    }
    if (await portOpen(opts.boltPort)) {
      throw new Error(
        `port ${opts.boltPort} is taken by a server this checkout did not start; set NEO4J_URI to use it, ` +
          `or TOPOGRAPH_LOCAL_NEO4J_BOLT_PORT to run the local one elsewhere`,
      );
    }
    fetchServer(opts);
    writeConfig(opts);
    mkdirSync(p.logs, { recursive: true });
    const classpath = `${p.lib}/*`;
    const env = { ...process.env, NEO4J_HOME: opts.dir, NEO4J_CONF: p.conf };
    if (!existsSync(p.password) || !existsSync(join(p.data, 'dbms'))) {
      // The initial password only takes effect before the very first start, so a new one goes with new data.
      // Hex: a base64url password may start with '-', which neo4j-admin then reads as an option.
      const password = randomBytes(18).toString('hex');
      rmSync(p.data, { recursive: true, force: true });
      const set = spawnSync(
        java(),
        ['-cp', classpath, 'org.neo4j.server.startup.Neo4jAdminCommand', 'dbms', 'set-initial-password', password],
        { env, encoding: 'utf8' },
      );
      if (set.status !== 0) throw new Error(`neo4j-admin set-initial-password failed: ${set.stderr || set.stdout}`);
      writeFileSync(p.password, password, { mode: 0o600 });
    }
    const out = openSync(p.stdout, 'a');
    const child = spawn(
      java(),
      [
        ...JVM_FLAGS,
        '-cp',
        classpath,
        'org.neo4j.server.CommunityEntryPoint',
        `--home-dir=${opts.dir}`,
        `--config-dir=${p.conf}`,
      ],
      { env, detached: true, stdio: ['ignore', out, out] },
    );
    closeSync(out);
    child.unref();
    if (child.pid === undefined) throw new Error('could not start java');
    writeFileSync(p.pid, String(child.pid));
    opts.log(`starting Neo4j ${NEO4J_VERSION} (pid ${child.pid}, bolt 127.0.0.1:${opts.boltPort})…`);
    const t0 = Date.now();
    await waitForBolt(opts.boltPort, child.pid, p.stdout);
    opts.log(`Neo4j ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return { uri, user: 'neo4j', password: readFileSync(p.password, 'utf8').trim(), started: true, pid: child.pid };
  } finally {
    release();
  }
}

async function waitForBolt(port: number, pid: number, logFile: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) {
      const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n') : '';
      throw new Error(`Neo4j exited during start; last lines of ${logFile}:\n${tail}`);
    }
    if (await portOpen(port)) return;
    await sleep(250);
  }
  throw new Error(`Neo4j did not open bolt port ${port} within ${timeoutMs / 1000} s (see ${logFile})`);
}

/** How long a clean shutdown may take before the server is killed. */
const STOP_TIMEOUT_MS = 60_000;

async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(200);
}

/** Stop the local server started from this folder, if any; waits for a clean shutdown. */
export async function stopLocalNeo4j(opts: LocalNeo4jOptions = defaultLocalOptions()): Promise<boolean> {
  const p = paths(opts.dir);
  const pid = readPid(p.pid);
  if (pid === undefined || !isAlive(pid)) {
    rmSync(p.pid, { force: true });
    return false;
  }
  // Said before the signal: whoever starts the server meanwhile (this process may not live to see the
  // exit) waits for this one instead of reusing it.
  writeFileSync(p.stopping, String(pid));
  process.kill(pid, 'SIGTERM');
  await waitForExit(pid, STOP_TIMEOUT_MS);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  await waitForExit(pid, STOP_TIMEOUT_MS);
  // Only if no start has written a new server's pid meanwhile.
  if (readPid(p.pid) === pid) rmSync(p.pid, { force: true });
  if (readPid(p.stopping) === pid) rmSync(p.stopping, { force: true });
  opts.log(`Neo4j stopped (pid ${pid})`);
  return true;
}

export function localStatus(opts: LocalNeo4jOptions = defaultLocalOptions()): { running: boolean; pid?: number } {
  const pid = readPid(paths(opts.dir).pid);
  return pid !== undefined && isAlive(pid) ? { running: true, pid } : { running: false };
}
