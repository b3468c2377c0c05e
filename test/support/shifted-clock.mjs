/**
 * Preloaded into a real worker process by tests (`NODE_OPTIONS=--import=…/shifted-clock.mjs`): its
 * `Date.now()` runs ahead of the machine's by the number of milliseconds the file named by
 * `TEST_CLOCK_SHIFT_FILE` holds, read at every call. A test moves the file to force time on a running
 * (or restarted) worker instead of sleeping out a TTL. Plain JavaScript: it loads before tsx does.
 */
import { readFileSync } from 'node:fs';
import process from 'node:process';

const file = process.env.TEST_CLOCK_SHIFT_FILE;
if (file) {
  const machine = Date.now;
  Date.now = () => {
    let shift = 0;
    try {
      shift = Number(readFileSync(file, 'utf8')) || 0;
    } catch {
      // not written yet: no shift
    }
    return machine() + shift;
  };
}
