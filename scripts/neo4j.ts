/**
 * `npm run neo4j -- fetch|start|stop|status [--tests]`: manage the project's local Neo4j by hand
 * (with `--tests`, the test suite's own one, which `TOPOGRAPH_KEEP_NEO4J=1 npm test` leaves running).
 */
import {
  defaultLocalOptions,
  ensureLocalNeo4j,
  fetchServer,
  localStatus,
  stopLocalNeo4j,
  testLocalOptions,
} from '../src/core/neo4j/local-server.js';

const command = process.argv[2] ?? 'status';
const opts = process.argv.includes('--tests') ? testLocalOptions() : defaultLocalOptions();
// The tests' server runs on the project server's jars: those are what is fetched.
if (command === 'fetch' || command === 'start') fetchServer(defaultLocalOptions());
if (command === 'fetch') {
  console.log('Neo4j server jars are in place');
} else if (command === 'start') {
  const s = await ensureLocalNeo4j(opts);
  console.log(`${s.started ? 'started' : 'already running'}: ${s.uri} (pid ${s.pid})`);
} else if (command === 'stop') {
  console.log((await stopLocalNeo4j(opts)) ? 'stopped' : 'not running');
} else if (command === 'status') {
  const s = localStatus(opts);
  console.log(s.running ? `running (pid ${s.pid})` : 'not running');
} else {
  console.error('usage: npm run neo4j -- fetch|start|stop|status [--tests]');
  process.exit(2);
}
