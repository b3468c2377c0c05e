/**
 * `npm start`'s supervisor (scripts/supervisor.ts) with stand-in children and forced time: a child
 * that dies is started again after a backoff that doubles on quick deaths up to its cap and resets
 * after a long run; stop() ends the children and cancels a pending restart.
 */
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSupervisor, type Child } from '../../scripts/supervisor.js';

class FakeChild extends EventEmitter {
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  constructor(readonly pid: number) {
    super();
  }
  die(signal: NodeJS.Signals = 'SIGKILL') {
    this.signalCode = signal;
    this.emit('exit', null, signal);
  }
  kill(signal: NodeJS.Signals = 'SIGTERM') {
    queueMicrotask(() => this.die(signal));
    return true;
  }
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function harness() {
  const log: string[] = [];
  const children: FakeChild[] = [];
  const supervisor = createSupervisor({
    log: (m) => log.push(m),
    backoff: { initialMs: 1_000, maxMs: 4_000, resetAfterMs: 60_000 },
  });
  supervisor.supervise('ingest', () => {
    const c = new FakeChild(100 + children.length);
    children.push(c);
    return c as unknown as Child;
  });
  return { log, children, supervisor };
}

describe('start supervisor', () => {
  it('restarts a dying child after 1, 2, 4, 4 s, and after a long run after 1 s again', () => {
    const { log, children } = harness();
    for (const expected of [1_000, 2_000, 4_000, 4_000]) {
      children.at(-1)!.die();
      vi.advanceTimersByTime(expected - 1);
      const before = children.length;
      vi.advanceTimersByTime(1);
      expect(children.length).toBe(before + 1);
    }
    vi.advanceTimersByTime(60_000);
    children.at(-1)!.die();
    vi.advanceTimersByTime(1_000);
    expect(children).toHaveLength(6);
    expect(log[0]).toBe('ingest started (pid 100)');
    expect(log[1]).toBe('ingest exited (SIGKILL); restarting it in 1 s (restart 1)');
    expect(log).toContain('ingest exited (SIGKILL); restarting it in 4 s (restart 4)');
    expect(log).toContain('ingest exited (SIGKILL); restarting it in 1 s (restart 5)');
  });

  it('stop() ends the running children and starts none of those waiting to restart', async () => {
    const { children, supervisor } = harness();
    const running = new FakeChild(900);
    supervisor.supervise('api', () => running as unknown as Child);
    children[0]!.die();
    await supervisor.stop();
    expect(running.signalCode).toBe('SIGTERM');
    vi.advanceTimersByTime(10_000);
    expect(children).toHaveLength(1);
  });
});
