/**
 * V8 heap settings for a process that runs the ingest engine, imported first by its entry point
 * (ingest/main.ts, ingest/import-main.ts) so that they hold before any span is read.
 *
 * No allocation-site pretenuring. V8 watches which object literals mostly outlive a scavenge and
 * may then allocate them in the old generation directly. In two worker runs of three it did so for
 * sites that include the decoder's spans, which live milliseconds: each was then garbage only a full
 * collection frees, and, being old, it held the young strings and arrays it points to through every
 * scavenge, which copied and promoted them too. Off, a span and its parts die young: ~40% less
 * scavenging and ~110–120 MB less peak RSS at 80,000 spans/s (docs/benchmarks.md item 188). V8 reads
 * the flag at each collection; set before the first span, no decision is ever taken.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--no-allocation-site-pretenuring');
