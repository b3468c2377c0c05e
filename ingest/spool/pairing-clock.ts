/**
 * The pairing clock: the time the engine's TTLs run on (docs/ingest.md, "The pairing clock"). It is
 * the wall time at which a record was accepted, less every stretch the worker was not running: a half
 * that waited when the worker stopped waits on, after the restart, only for what is left of its TTL.
 *
 * A stretch is found at a restart: from the last sign of life of the process before (the later of its
 * checkpoint's time and the last record it accepted) to this start. The records the process before
 * accepted are all read before the first this one accepts (the spool is in order), so the stretch is
 * fixed when the first time at or past this start is asked for. The stretches are kept in the
 * checkpoint, so that a replay of older records sees the clock they were first read with.
 */

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
}): PairingClock {
  const pauses: ClockPause[] = [...(opts.pauses ?? [])];
  let lastAlive = opts.lastAlive;
  const merge = () => {
    while (pauses.length > MAX_PAUSES) {
      const [first, second] = pauses.splice(0, 2) as [ClockPause, ClockPause];
      pauses.unshift([second[0], first[1] + second[1]]);
    }
  };
  return {
    of(wall) {
      if (lastAlive !== undefined) {
        if (wall < opts.startedAt) lastAlive = Math.max(lastAlive, wall);
        else {
          pauses.push([opts.startedAt, Math.max(0, opts.startedAt - lastAlive)]);
          merge();
          lastAlive = undefined;
        }
      }
      let paused = 0;
      for (const [at, ms] of pauses) if (at <= wall) paused += ms;
      return wall - paused;
    },
    pauses: () => pauses.map((p) => [p[0], p[1]]),
  };
}
