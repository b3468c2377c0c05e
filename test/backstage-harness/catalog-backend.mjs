// A real Backstage catalog backend (Backstage's own packages, nothing of ours), for the tests of the
// REST poller (test/backstage/). Run as `node catalog-backend.mjs --config app-config.yaml`; the
// tests write the config: an in-memory SQLite database, a static token and a file location.
import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();
backend.add(import('@backstage/plugin-catalog-backend'));
await backend.start();
