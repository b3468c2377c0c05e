/**
 * What a Neo4j server on this machine spends, read from outside it (Linux /proc and its files): CPU,
 * bytes written to storage, and bytes appended to its transaction log. For the writer's tools
 * (`writer-ab.ts`, `writer-workers.ts`), which need a server nothing else uses.
 */
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { cpuSeconds, pidListeningOn } from './proc-cpu.js';

export interface TxLogEnd {
  version: number;
  offset: number;
}

export interface Neo4jProcess {
  pid: number;
  /** user + system CPU seconds of the server so far */
  cpuSeconds(): number;
  /** bytes the server has written to storage so far (`write_bytes` of /proc/<pid>/io) */
  writeBytes(): number;
  /** where the transaction log ends now (0 when no log folder was given) */
  txLogEnd(): TxLogEnd;
  /** bytes appended to the transaction log between two ends, a rotation in between counted whole */
  txLogBytes(from: TxLogEnd, to: TxLogEnd): number;
}

const CHUNK = 16 * 1024;
const LOG_FILE = /^neostore\.transaction\.db\.(\d+)$/;

/**
 * The server listening on `uri`'s port; `txLogDir` is its `data/transactions/<database>` folder.
 * Neo4j preallocates each log file with zeros, so the end of the newest file is found by bisecting
 * for the first all-zero block.
 */
export function localNeo4jProcess(uri: string, txLogDir?: string): Neo4jProcess {
  const pid = pidListeningOn(Number(new URL(uri.replace(/^bolt/, 'http')).port));
  if (pid === undefined) throw new Error(`no process on this machine listens on ${uri}`);
  const file = (version: number) => `${txLogDir}/neostore.transaction.db.${version}`;
  const txLogEnd = (): TxLogEnd => {
    if (txLogDir === undefined) return { version: 0, offset: 0 };
    const version = Math.max(
      ...readdirSync(txLogDir).flatMap((f) => (LOG_FILE.test(f) ? [Number(LOG_FILE.exec(f)![1])] : [])),
    );
    const fd = openSync(file(version), 'r');
    try {
      const buf = Buffer.alloc(CHUNK);
      const zero = (at: number) => readSync(fd, buf, 0, CHUNK, at * CHUNK) === 0 || buf.every((b) => b === 0);
      let [lo, hi] = [0, Math.ceil(fstatSync(fd).size / CHUNK)];
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (zero(mid)) hi = mid;
        else lo = mid + 1;
      }
      if (lo === 0) return { version, offset: 0 };
      readSync(fd, buf, 0, CHUNK, (lo - 1) * CHUNK);
      let last = CHUNK;
      while (last > 0 && buf[last - 1] === 0) last--;
      return { version, offset: (lo - 1) * CHUNK + last };
    } finally {
      closeSync(fd);
    }
  };
  return {
    pid,
    cpuSeconds: () => cpuSeconds(pid),
    writeBytes: () => Number(/write_bytes: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))![1]),
    txLogEnd,
    txLogBytes: (from, to) => {
      let n = to.offset - from.offset;
      for (let v = from.version; v < to.version; v++) n += statSync(file(v)).size;
      return n;
    },
  };
}
