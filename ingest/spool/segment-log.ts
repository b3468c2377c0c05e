/**
 * The durable spool: an append-only log of accepted requests, kept in segment files under one
 * directory, so that an OTLP 200 is only sent for what is on disk.
 *
 * Each record is `[length u32][crc32 u32][seq f64][acceptedAt f64][payload]`; the crc covers
 * everything after itself, so a record torn by a crash is recognised and cut off when the log is
 * reopened. Segments are named by their first sequence number. Appends arriving while a write is
 * under way are queued and written and fsynced together (group commit): one fsync per group, not
 * per request. The size is bounded: an append that would pass `maxBytes` is refused, never kept
 * in memory instead.
 *
 * Reading is by cursor, in sequence order, and only ever sees records already fsynced.
 */
import { randomUUID } from 'node:crypto';
import {
  constants,
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { isAlive } from '../../src/core/process-alive.js';

export const HEADER_BYTES = 24;
const SEGMENT_SUFFIX = '.seg';
const ID_FILE = 'spool.id';
const LOCK_FILE = 'spool.lock';

export interface SpoolOptions {
  dir: string;
  maxBytes: number;
  /** a segment is closed once it holds this many bytes; deletion frees whole segments */
  segmentBytes?: number;
  now?: () => number;
  onWarning?: (message: string) => void;
}

export interface SpoolRecord {
  seq: number;
  acceptedAt: number;
  payload: Buffer;
}

export type AppendResult = { seq: number } | { refused: 'full' | 'too-large' };

export interface SpoolStats {
  records: number;
  bytes: number;
  /** the last sequence number appended and fsynced (0 when none ever was) */
  lastSeq: number;
}

interface Segment {
  firstSeq: number;
  path: string;
  fh: FileHandle;
  /** bytes of whole, fsynced records */
  size: number;
  records: number;
  /** the last record's seq; firstSeq - 1 while empty */
  lastSeq: number;
}

interface Queued {
  buf: Buffer;
  seq: number;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

export interface Spool {
  /** a random id made when the directory was first used: checkpoints name the spool they belong to */
  readonly id: string;
  /** `payload` may come in parts, written one after the other: they are not joined first (a copy of each body). */
  append(payload: Buffer | readonly Buffer[]): Promise<AppendResult>;
  /** Positions the reader at the first record whose seq is at least `seq`. */
  seek(seq: number): Promise<void>;
  /**
   * Up to `max` fsynced records after the reader's position, in order; empty when none. A record
   * `held(seq)` says the reader has in memory already comes without its payload (an empty one),
   * neither read from disk nor checked.
   */
  read(max: number, held?: (seq: number) => boolean): Promise<SpoolRecord[]>;
  /** acceptedAt of the next record `read` would return, if one is there. */
  peekAcceptedAt(): Promise<number | undefined>;
  /** Resolves when a new record becomes readable, or after `timeoutMs`. */
  waitForData(timeoutMs: number): Promise<void>;
  /** Deletes every segment (but the last) whose records all have seq below `seq`. */
  release(seq: number): Promise<void>;
  stats(): SpoolStats;
  /** Resolves once every append made so far is written (or failed). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

const segmentName = (firstSeq: number) => `${String(firstSeq).padStart(16, '0')}${SEGMENT_SUFFIX}`;

const lengthOf = (payload: Buffer | readonly Buffer[]): number =>
  Buffer.isBuffer(payload) ? payload.length : payload.reduce((n, part) => n + part.length, 0);

export function encodeRecord(seq: number, acceptedAt: number, payload: Buffer | readonly Buffer[]): Buffer {
  const length = lengthOf(payload);
  const buf = Buffer.allocUnsafe(HEADER_BYTES + length);
  buf.writeUInt32LE(length, 0);
  buf.writeDoubleLE(seq, 8);
  buf.writeDoubleLE(acceptedAt, 16);
  let at = HEADER_BYTES;
  for (const part of Buffer.isBuffer(payload) ? [payload] : payload) at += part.copy(buf, at);
  buf.writeUInt32LE(crc32(buf.subarray(8)), 4);
  return buf;
}

async function readExactly(fh: FileHandle, length: number, position: number): Promise<Buffer | undefined> {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await fh.read(buf, got, length - got, position + got);
    if (bytesRead === 0) return undefined;
    got += bytesRead;
  }
  return buf;
}

/** Reads the record at `offset` of a segment; undefined when there is no whole, valid one. */
/** A record as found on disk: `bytes` is its whole length there, header included. */
type Found = SpoolRecord & { bytes: number };

const NO_PAYLOAD = Buffer.alloc(0);

/** The record at `offset`; with `held` true of its seq, only its header is read (the payload is empty). */
async function readRecordAt(
  fh: FileHandle,
  offset: number,
  end: number,
  held?: (seq: number) => boolean,
): Promise<Found | undefined> {
  if (offset + HEADER_BYTES > end) return undefined;
  const header = await readExactly(fh, HEADER_BYTES, offset);
  if (!header) return undefined;
  const length = header.readUInt32LE(0);
  if (offset + HEADER_BYTES + length > end) return undefined;
  const seq = header.readDoubleLE(8);
  const acceptedAt = header.readDoubleLE(16);
  const bytes = HEADER_BYTES + length;
  if (held?.(seq)) return { seq, acceptedAt, payload: NO_PAYLOAD, bytes };
  const payload = length === 0 ? Buffer.alloc(0) : await readExactly(fh, length, offset + HEADER_BYTES);
  if (!payload) return undefined;
  const crc = crc32(payload, crc32(header.subarray(8)));
  if (crc !== header.readUInt32LE(4)) return undefined;
  return { seq, acceptedAt, payload, bytes };
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** One process per spool: a second worker on the same directory would interleave records. */
async function lockDir(dir: string): Promise<() => Promise<void>> {
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(file, String(process.pid), { flag: 'wx' });
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST' || attempt > 0) throw error;
      const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new Error(`the spool ${dir} is in use by process ${holder}`);
      }
      // Left by a process that died (a crash, SIGKILL): take it over.
      await rm(file, { force: true });
    }
  }
}

async function spoolId(dir: string): Promise<string> {
  const file = join(dir, ID_FILE);
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const id = randomUUID();
    await writeFile(`${file}.tmp`, id);
    await rename(`${file}.tmp`, file);
    await syncDir(dir);
    return id;
  }
}

/** Opens (or creates) the spool in `dir`, cutting off any record a crash left half-written. */
export async function openSpool(options: SpoolOptions): Promise<Spool> {
  const { dir, maxBytes } = options;
  const segmentBytes = options.segmentBytes ?? Math.min(64 * 1024 * 1024, Math.max(4096, Math.floor(maxBytes / 8)));
  const now = options.now ?? Date.now;
  const warn = options.onWarning ?? (() => {});
  await mkdir(dir, { recursive: true });
  const unlock = await lockDir(dir);
  const id = await spoolId(dir);

  const segments: Segment[] = [];
  const names = (await readdir(dir)).filter((n) => n.endsWith(SEGMENT_SUFFIX)).sort();
  for (const name of names) {
    const path = join(dir, name);
    const firstSeq = Number(name.slice(0, -SEGMENT_SUFFIX.length));
    const fh = await open(path, 'r+');
    const fileSize = (await stat(path)).size;
    const seg: Segment = { firstSeq, path, fh, size: 0, records: 0, lastSeq: firstSeq - 1 };
    for (;;) {
      const r = await readRecordAt(fh, seg.size, fileSize);
      if (!r) break;
      seg.size += r.bytes;
      seg.records++;
      seg.lastSeq = r.seq;
    }
    if (seg.size < fileSize) {
      warn(`spool segment ${name}: cutting ${fileSize - seg.size} bytes after the last whole record`);
      await fh.truncate(seg.size);
      await fh.sync();
    }
    segments.push(seg);
  }

  let nextSeq = segments.length > 0 ? segments[segments.length - 1]!.lastSeq + 1 : 1;
  let durableSeq = nextSeq - 1;
  const queue: Queued[] = [];
  let queuedBytes = 0;
  let writing = false;
  let closed = false;
  const waiters = new Set<() => void>();
  let cursor: { seg: Segment | undefined; offset: number } = { seg: segments[0], offset: 0 };

  const idle = async () => {
    while (writing || queue.length > 0) await new Promise((r) => setTimeout(r, 5));
  };

  const diskBytes = () => segments.reduce((n, s) => n + s.size, 0);

  async function newSegment(firstSeq: number): Promise<Segment> {
    const path = join(dir, segmentName(firstSeq));
    const fh = await open(path, 'w+');
    await syncDir(dir);
    const seg: Segment = { firstSeq, path, fh, size: 0, records: 0, lastSeq: firstSeq - 1 };
    segments.push(seg);
    if (!cursor.seg) cursor = { seg, offset: 0 };
    return seg;
  }

  async function pump(): Promise<void> {
    if (writing) return;
    writing = true;
    try {
      while (queue.length > 0) {
        const group = queue.splice(0);
        const bytes = group.reduce((n, q) => n + q.buf.length, 0);
        try {
          let seg = segments[segments.length - 1];
          if (!seg || (seg.size > 0 && seg.size + bytes > segmentBytes)) seg = await newSegment(group[0]!.seq);
          try {
            await seg.fh.writev(
              group.map((q) => q.buf),
              seg.size,
            );
            await seg.fh.datasync();
          } catch (error) {
            await seg.fh.truncate(seg.size).catch(() => {});
            throw error;
          }
          seg.size += bytes;
          seg.records += group.length;
          seg.lastSeq = group[group.length - 1]!.seq;
          durableSeq = seg.lastSeq;
          queuedBytes -= bytes;
          for (const q of group) q.resolve({ seq: q.seq });
          for (const w of waiters) w();
        } catch (error) {
          queuedBytes -= bytes;
          for (const q of group) q.reject(error);
        }
      }
    } finally {
      writing = false;
    }
  }

  function nextSegment(seg: Segment): Segment | undefined {
    const i = segments.indexOf(seg);
    return i < 0 ? segments[0] : segments[i + 1];
  }

  /** The record under the cursor, moving past segment ends; undefined when none is readable yet. */
  async function atCursor(held?: (seq: number) => boolean): Promise<Found | undefined> {
    for (;;) {
      const seg = cursor.seg;
      if (!seg) return undefined;
      if (cursor.offset < seg.size) {
        const r = await readRecordAt(seg.fh, cursor.offset, seg.size, held);
        if (!r) throw new Error(`spool segment ${seg.path} is unreadable at offset ${cursor.offset}`);
        return r;
      }
      const next = nextSegment(seg);
      if (!next) return undefined;
      cursor = { seg: next, offset: 0 };
    }
  }

  return {
    id,
    append(payload) {
      if (closed) return Promise.reject(new Error('spool closed'));
      const size = HEADER_BYTES + lengthOf(payload);
      if (size > maxBytes) return Promise.resolve({ refused: 'too-large' });
      if (diskBytes() + queuedBytes + size > maxBytes) return Promise.resolve({ refused: 'full' });
      const seq = nextSeq++;
      queuedBytes += size;
      const result = new Promise<AppendResult>((resolve, reject) => {
        queue.push({ buf: encodeRecord(seq, now(), payload), seq, resolve, reject });
      });
      void pump();
      return result;
    },
    async seek(seq) {
      cursor = { seg: segments.find((s) => s.lastSeq >= seq) ?? segments[segments.length - 1], offset: 0 };
      for (;;) {
        const r = await atCursor();
        if (!r || r.seq >= seq) return;
        cursor.offset += r.bytes;
      }
    },
    async read(max, held) {
      const out: SpoolRecord[] = [];
      while (out.length < max) {
        const r = await atCursor(held);
        if (!r || r.seq > durableSeq) break;
        cursor.offset += r.bytes;
        out.push({ seq: r.seq, acceptedAt: r.acceptedAt, payload: r.payload });
      }
      return out;
    },
    async peekAcceptedAt() {
      return (await atCursor())?.acceptedAt;
    },
    waitForData(timeoutMs) {
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        waiters.add(done);
      });
    },
    async release(seq) {
      while (segments.length > 1 && segments[0]!.lastSeq < seq) {
        const seg = segments.shift()!;
        if (cursor.seg === seg) cursor = { seg: segments[0], offset: 0 };
        await seg.fh.close();
        await rm(seg.path, { force: true });
      }
    },
    stats() {
      return { records: segments.reduce((n, s) => n + s.records, 0), bytes: diskBytes(), lastSeq: durableSeq };
    },
    idle,
    async close() {
      closed = true;
      await idle();
      for (const s of segments) await s.fh.close();
      segments.length = 0;
      await unlock();
    },
  };
}
