/**
 * `npm start`: everything on one machine. Starts the project's local Neo4j when NEO4J_URI is unset,
 * then the ingest worker and the API as child processes with readable logs. Ctrl-C stops all it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigOrExit } from '../src/core/config.js';
import { defaultLocalOptions, ensureLocalNeo4j, stopLocalNeo4j } from '../src/core/neo4j/local-server.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const config = loadConfigOrExit();

const env: NodeJS.ProcessEnv = { ...process.env, TOPOGRAPH_LOG_PRETTY: process.env.TOPOGRAPH_LOG_PRETTY ?? '1' };
let startedLocal = false;
if (!config.neo4j.uri) {
  const local = await ensureLocalNeo4j(defaultLocalOptions());
  startedLocal = local.started;
  Object.assign(env, { NEO4J_URI: local.uri, NEO4J_USER: local.user, NEO4J_PASSWORD: local.password });
}

const children: ChildProcess[] = [];
let stopping = false;

function run(name: string, file: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, file)], { env, stdio: 'inherit' });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[start] ${name} exited (${signal ?? code}); stopping everything`);
      void stop(1);
    }
  });
  children.push(child);
  return child;
}

async function stop(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
        }),
    ),
  );
  if (startedLocal) await stopLocalNeo4j(defaultLocalOptions());
  process.exit(exitCode);
}

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

run('ingest', 'ingest/main.ts');
run('api', 'src/api/main.ts');

const host = config.host === '0.0.0.0' ? 'localhost' : config.host;
console.log(
  [
    '',
    'Topograph is starting:',
    `  GraphiQL     http://${host}:${config.apiPort}/graphql`,
    `  OTLP/HTTP    http://${host}:${config.otlpHttpPort}/v1/traces`,
    `  Neo4j        ${env.NEO4J_URI}${startedLocal ? ' (local, started now; stopped on Ctrl-C)' : ''}`,
    '  Ctrl-C stops everything started here.',
    '',
    ...(config.auth.enabled
      ? []
      : [
          '  !!! ACCESS CONTROL IS OFF: anyone who can reach these ports can read the map and send spans.',
          '  !!! Set TOPOGRAPH_TOKENS (README, "Security") before exposing them beyond this machine.',
          '',
        ]),
  ].join('\n'),
);
