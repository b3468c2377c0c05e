/** `npm run neo4j -- fetch|start|stop|status`: manage the project's local Neo4j by hand. */
import {
  defaultLocalOptions,
  ensureLocalNeo4j,
  fetchServer,
  localStatus,
  stopLocalNeo4j,
} from '../src/core/neo4j/local-server.js';

const command = process.argv[2] ?? 'status';
const opts = defaultLocalOptions();
if (command === 'fetch') {
  fetchServer(opts);
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
  console.error('usage: npm run neo4j -- fetch|start|stop|status');
  process.exit(2);
}
