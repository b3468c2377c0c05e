/** Child processes of the benchmark (the sender, the worker), spoken to over IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

export interface BenchChild {
  process: ChildProcess;
  /** sends a message and resolves with the next one the child sends back */
  ask<T>(message: unknown): Promise<T>;
  next<T>(): Promise<T>;
  kill(): void;
}

export function forkTs(
  file: string,
  args: string[],
  env: Record<string, string> = {},
  execArgv: string[] = [],
): BenchChild {
  const child = fork(join(HERE, file), args, {
    execArgv: ['--import', 'tsx', ...execArgv],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = <T>() =>
    new Promise<T>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`${file} exited with ${code}`));
      child.once('exit', onExit);
      child.once('message', (m) => {
        child.off('exit', onExit);
        const msg = m as { ok?: boolean; error?: string };
        if (msg.ok === false) reject(new Error(`${file}: ${msg.error}`));
        else resolve(m as T);
      });
    });
  return {
    process: child,
    next,
    ask<T>(message: unknown) {
      const reply = next<T>();
      child.send(message as object);
      return reply;
    },
    kill: () => {
      if (child.exitCode === null) child.kill('SIGTERM');
    },
  };
}

/**
 * One side of a tool that compares two checkouts, each in a process of its own started as
 * `<tool> --child <checkout> <a> <b>`: runs `child` there and sends its result back. False in the
 * parent, which names the two checkouts in its first two arguments (`checkouts()`).
 */
export async function answerAsChild(child: (dir: string, a: number, b: number) => Promise<object>): Promise<boolean> {
  if (process.argv[2] !== '--child') return false;
  process.send!(await child(process.argv[3]!, Number(process.argv[4]), Number(process.argv[5])));
  process.disconnect();
  return true;
}

/** The two checkouts a comparing tool was given (the current directory for one not given). */
export const checkouts = (): string[] => [process.argv[2], process.argv[3]].map((d) => resolve(d ?? '.'));
