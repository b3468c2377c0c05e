/**
 * `npm start`: everything on one machine. Starts the project's local Neo4j when NEO4J_URI is unset
 * (waiting first for one that is still stopping), then the ingest worker and the API as child
 * processes with readable logs; a child that dies is started again (scripts/supervisor.ts). Ctrl-C
 * stops all it started.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigOrExit } from '../src/core/config.js';
import { defaultLocalOptions, ensureLocalNeo4j, stopLocalNeo4j } from '../src/core/neo4j/local-server.js';
import { createSupervisor } from './supervisor.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const config = loadConfigOrExit();

const env: NodeJS.ProcessEnv = { ...process.env, TOPOGRAPH_LOG_PRETTY: process.env.TOPOGRAPH_LOG_PRETTY ?? '1' };
let startedLocal = false;
if (!config.neo4j.uri) {
  const local = await ensureLocalNeo4j(defaultLocalOptions());
  startedLocal = local.started;
  Object.assign(env, { NEO4J_URI: local.uri, NEO4J_USER: local.user, NEO4J_PASSWORD: local.password });
}

const supervisor = createSupervisor({ log: (message) => console.error(`[start] ${message}`) });
let stopping = false;

async function stop(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await supervisor.stop();
  if (startedLocal) await stopLocalNeo4j(defaultLocalOptions());
  process.exit(exitCode);
}

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

const run = (file: string) => () =>
  spawn(process.execPath, ['--import', 'tsx', join(root, file)], { env, stdio: 'inherit' });
supervisor.supervise('ingest', run('ingest/main.ts'));
supervisor.supervise('api', run('src/api/main.ts'));

const host = config.host === '0.0.0.0' ? 'localhost' : config.host;
console.log(
  [
    '',
    'Topograph is starting:',
    `  GraphiQL     http://${host}:${config.apiPort}/graphql`,
    `  Map          http://${host}:${config.apiPort}/ui`,
    `  OTLP/HTTP    http://${host}:${config.otlpHttpPort}/v1/traces`,
    `  Neo4j        ${env.NEO4J_URI}${startedLocal ? ' (local, started now; stopped on Ctrl-C)' : ''}`,
    '  Demo traffic npm run demo (in another terminal)',
    '  Ctrl-C stops everything started here.',
    '',
    ...(config.auth.enabled
      ? []
      : [
          '  !!! ACCESS CONTROL IS OFF: anyone who can reach these ports can read the map and send spans.',
          '  !!! Set TOPOGRAPH_TOKENS (docs/security.md) before exposing them beyond this machine.',
          '',
        ]),
  ].join('\n'),
);
