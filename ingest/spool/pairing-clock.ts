/**
 * The pairing clock: the time the engine's TTLs run on (docs/ingest.md, "The pairing clock"). It is
 * the wall time at which a record was accepted, less every stretch the worker was not running: a half
 * that waited when the worker stopped waits on, after the restart, only for what is left of its TTL.
 *
 * A stretch is found at a restart: from the last sign of life of the process before (the later of
 * its checkpoint's time and the last record it accepted) to this start. The records the process before
 * accepted are all read before the first this one accepts (the spool is in order), so the stretch is
 * fixed when the first time at or past this start is asked for. The stretches are kept in the
 * checkpoint, so that a replay of older records sees the clock they were first read with.
 *
 * A start is also written to the spool's directory before the process accepts anything
 * (`recordStart`): a process that stopped before its first checkpoint saved its stretch leaves its
 * start there, and the next one fixes that stretch too, when its replay reaches the first record of
 * that process (else the stopped process's records would run the clock on across the stretch).
 */

import { constants } from 'node:fs';
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

/** `[wall time of a start, ms the worker was not running before it]` */
export type ClockPause = [at: number, ms: number];

/** Past this many stretches the two oldest are merged (only a replay of records older than both would notice). */
const MAX_PAUSES = 32;

export interface PairingClock {
  /** The pairing time of a wall time (a record's accept time, or the time of a collect). */
  of(wall: number): number;
  /** What the checkpoint keeps. */
  pauses(): ClockPause[];
}

export function createPairingClock(opts: {
  /** the stretches the checkpoint kept */
  pauses?: readonly ClockPause[];
  /** when this process started reading */
  startedAt: number;
  /** the time of the checkpoint this process resumes from (undefined: a first start, nothing paused) */
  lastAlive?: number;
  /** starts of processes since the checkpoint whose stretch no checkpoint kept (`unsettledStarts`) */
  earlier?: readonly number[];
}): PairingClock {
  const pauses: ClockPause[] = [...(opts.pauses ?? [])];
  let lastAlive = opts.lastAlive;
  /** starts whose stretch is not fixed yet, oldest first: this process's last */
  const pending = [...(opts.earlier ?? []).filter((s) => s < opts.startedAt), opts.startedAt];
  const merge = () => {
    while (pauses.length > MAX_PAUSES) {
      const [first, second] = pauses.splice(0, 2) as [ClockPause, ClockPause];
      pauses.unshift([second[0], first[1] + second[1]]);
    }
  };
  return {
    of(wall) {
      while (pending.length > 0 && wall >= pending[0]!) {
        const start = pending.shift()!;
        if (lastAlive !== undefined) {
          pauses.push([start, Math.max(0, start - lastAlive)]);
          merge();
        }
        lastAlive = start;
      }
      if (pending.length > 0 && lastAlive !== undefined) lastAlive = Math.max(lastAlive, wall);
      let paused = 0;
      for (const [at, ms] of pauses) if (at <= wall) paused += ms;
      return wall - paused;
    },
    pauses: () => pauses.map((p) => [p[0], p[1]]),
  };
}

/** how many starts the file keeps: older ones are settled in a checkpoint long since */
const MAX_STARTS = 64;
const STARTS_FILE = 'starts';

/**
 * Writes this process's start to the spool's directory (durably: before anything is accepted) and
 * returns the starts written before it, oldest first. Call it once the spool is open (its lock keeps
 * a second process off the directory).
 */
export async function recordStart(dir: string, at: number): Promise<number[]> {
  const file = join(dir, STARTS_FILE);
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  const earlier = text
    .split('\n')
    .filter((line) => /^\d+$/.test(line))
    .map(Number);
  const kept = [...earlier, at].slice(-MAX_STARTS);
  // A whole new file renamed into place: a crash leaves the old list or the new one, never half of it.
  const next = `${file}.next`;
  const fh = await open(next, 'w');
  try {
    await fh.writeFile(kept.map((s) => `${s}\n`).join(''));
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(next, file);
  const d = await open(dir, constants.O_RDONLY);
  try {
    await d.sync();
  } finally {
    await d.close();
  }
  return earlier;
}

/**
 * The starts of `earlier` whose stretch the checkpoint did not keep: after its time (a process that
 * wrote a checkpoint past its start had fixed its stretch) and after its newest stretch.
 */
export function unsettledStarts(
  earlier: readonly number[],
  checkpoint: { clock: number; pauses?: readonly ClockPause[] } | undefined,
): number[] {
  if (!checkpoint) return [...earlier];
  const newest = Math.max(checkpoint.clock, ...(checkpoint.pauses ?? []).map((p) => p[0]));
  return earlier.filter((s) => s > newest);
}
