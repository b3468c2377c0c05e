/** Every statement a flush sends through `runRows` (ingest/positional-rows.ts), by its constant's name. */
import * as late from '../../ingest/late-writer.js';
import * as presence from '../../ingest/presence.js';
import * as versions from '../../ingest/versions.js';
import * as writer from '../../ingest/writer.js';

export const FLUSH_STATEMENTS = {
  ...Object.fromEntries(
    Object.entries(writer).filter(([name]) => name.startsWith('MERGE_') && name !== 'MERGE_DEPENDENCY_LINKS'),
  ),
  MERGE_EDGE_VERSIONS: versions.MERGE_EDGE_VERSIONS,
  MERGE_CALL_VERSIONS: versions.MERGE_CALL_VERSIONS,
  MERGE_SERVICE_VERSIONS: versions.MERGE_SERVICE_VERSIONS,
  ...Object.fromEntries(
    Object.entries(late).filter(
      ([name]) => (name.startsWith('TAKE_BACK_') && name !== 'TAKE_BACK_HOPS') || name === 'DELETE_BARE_VIRTUALS',
    ),
  ),
  MERGE_EDGE_PRESENCE: presence.MERGE_EDGE_PRESENCE,
  MERGE_COMPONENT_PRESENCE: presence.MERGE_COMPONENT_PRESENCE,
} as Record<string, string>;
