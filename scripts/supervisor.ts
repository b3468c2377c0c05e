/**
 * Keeps the children of `npm start` running: a child that dies (a crash, an out-of-memory kill, a
 * kill -9) is started again after a backoff that doubles on each quick death, so one broken piece
 * neither stops the others nor spins; `stop()` ends them all and restarts none.
 */
import type { ChildProcess } from 'node:child_process';

export interface Backoff {
  /** the wait before the first restart */
  initialMs: number;
  /** the longest wait, however often a child dies */
  maxMs: number;
  /** a child that ran this long before dying is restarted after `initialMs` again */
  resetAfterMs: number;
}

export const START_BACKOFF: Backoff = { initialMs: 1_000, maxMs: 30_000, resetAfterMs: 60_000 };

/** What the supervisor needs of a child process (a ChildProcess is one). */
export type Child = Pick<ChildProcess, 'pid' | 'exitCode' | 'signalCode' | 'kill' | 'once'>;

export interface SupervisorDeps {
  log(message: string): void;
  backoff?: Backoff;
}

export function createSupervisor(deps: SupervisorDeps) {
  const backoff = deps.backoff ?? START_BACKOFF;
  const running = new Set<Child>();
  const pending = new Set<ReturnType<typeof setTimeout>>();
  let stopping = false;

  /** Starts `name` with `start` now, and again each time it dies until `stop()`. */
  function supervise(name: string, start: () => Child): void {
    let delay = backoff.initialMs;
    let restarts = 0;
    const launch = () => {
      const child = start();
      const startedAt = Date.now();
      running.add(child);
      deps.log(`${name} started (pid ${child.pid})`);
      child.once('exit', (code, signal) => {
        running.delete(child);
        if (stopping) return;
        if (Date.now() - startedAt >= backoff.resetAfterMs) delay = backoff.initialMs;
        restarts++;
        deps.log(
          `${name} exited (${signal ?? `code ${code}`}); restarting it in ${delay / 1000} s (restart ${restarts})`,
        );
        const timer = setTimeout(() => {
          pending.delete(timer);
          if (!stopping) launch();
        }, delay);
        pending.add(timer);
        delay = Math.min(delay * 2, backoff.maxMs);
      });
    };
    launch();
  }

  /** SIGTERM to every child, restarts cancelled; resolves once all have exited. */
  async function stop(): Promise<void> {
    stopping = true;
    for (const timer of pending) clearTimeout(timer);
    pending.clear();
    await Promise.all(
      [...running].map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGTERM');
          }),
      ),
    );
  }

  return { supervise, stop };
}
