/**
 * The durable spool's segment log on a real temp directory: order and sequence numbers, group
 * commit, reopening (with a torn or corrupted last record cut off), segment deletion by release,
 * the size bound, and the lock that keeps a second process off the same directory.
 */
import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  encodeRecord,
  HEADER_BYTES,
  openSpool,
  type Spool,
  type SpoolOptions,
} from '../../ingest/spool/segment-log.js';

const dirs: string[] = [];
const open: Spool[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close().catch(() => {});
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'topograph-segment-log-'));
  dirs.push(d);
  return d;
}

async function spoolAt(dir: string, options: Partial<SpoolOptions> = {}): Promise<Spool> {
  const s = await openSpool({ dir, maxBytes: 1 << 20, ...options });
  open.push(s);
  return s;
}

async function closeSpool(s: Spool): Promise<void> {
  open.splice(open.indexOf(s), 1);
  await s.close();
}

const segments = (dir: string) =>
  readdirSync(dir)
    .filter((n) => n.endsWith('.seg'))
    .sort();
const text = (records: { payload: Buffer }[]) => records.map((r) => r.payload.toString());

async function appendAll(s: Spool, payloads: string[]): Promise<number[]> {
  const seqs: number[] = [];
  for (const p of payloads) {
    const r = await s.append(Buffer.from(p));
    if ('refused' in r) throw new Error(`refused: ${r.refused}`);
    seqs.push(r.seq);
  }
  return seqs;
}

describe('segment log', () => {
  it('numbers appends from 1 and reads them back in order, with the time they were accepted', async () => {
    let t = 1000;
    const s = await spoolAt(tempDir(), { now: () => t++ });
    expect(s.stats()).toEqual({ records: 0, bytes: 0, lastSeq: 0 });
    expect(await s.read(10)).toEqual([]);
    expect(await appendAll(s, ['a', 'bb', 'ccc'])).toEqual([1, 2, 3]);
    expect(await s.peekAcceptedAt()).toBe(1000);
    const first = await s.read(2);
    expect(first.map((r) => [r.seq, r.acceptedAt, r.payload.toString()])).toEqual([
      [1, 1000, 'a'],
      [2, 1001, 'bb'],
    ]);
    expect(text(await s.read(10))).toEqual(['ccc']);
    expect(await s.read(10)).toEqual([]);
    expect(s.stats()).toEqual({ records: 3, bytes: 3 * HEADER_BYTES + 6, lastSeq: 3 });
  });

  it('writes a payload given in parts as one record, counted and checked as a whole, across a reopen', async () => {
    const dir = tempDir();
    const s = await spoolAt(dir);
    const r = await s.append([Buffer.of(1), Buffer.from('body'), Buffer.alloc(0), Buffer.from('!')]);
    expect(r).toEqual({ seq: 1 });
    expect(s.stats()).toEqual({ records: 1, bytes: HEADER_BYTES + 6, lastSeq: 1 });
    await closeSpool(s);
    const again = await spoolAt(dir);
    expect((await again.read(10)).map((x) => x.payload)).toEqual([Buffer.from('\u0001body!')]);
  });

  it('skips the payload of a record the reader holds, and reads on past it; a seek reads it whole again', async () => {
    const s = await spoolAt(tempDir());
    await appendAll(s, ['a', 'held', 'c']);
    const records = await s.read(10, (seq) => seq === 2);
    expect(records.map((r) => [r.seq, r.payload.toString()])).toEqual([
      [1, 'a'],
      [2, ''],
      [3, 'c'],
    ]);
    await s.seek(2);
    expect(text(await s.read(10))).toEqual(['held', 'c']);
  });

  it('writes concurrent appends as groups, every one acknowledged once with its own sequence number', async () => {
    const s = await spoolAt(tempDir());
    const payloads = Array.from({ length: 200 }, (_, i) => `p${i}`);
    const results = await Promise.all(payloads.map((p) => s.append(Buffer.from(p))));
    expect(results.map((r) => ('seq' in r ? r.seq : -1))).toEqual(payloads.map((_, i) => i + 1));
    expect(text(await s.read(1000))).toEqual(payloads);
  });

  it('wakes a waiting reader when a record is appended', async () => {
    const s = await spoolAt(tempDir());
    const woken = s.waitForData(60_000);
    await s.append(Buffer.from('x'));
    await woken;
    expect(text(await s.read(1))).toEqual(['x']);
  });

  it('keeps its records, id and numbering across a reopen, and seeks to a sequence number', async () => {
    const dir = tempDir();
    const s1 = await spoolAt(dir, { segmentBytes: 100 });
    const id = s1.id;
    await appendAll(
      s1,
      Array.from({ length: 10 }, (_, i) => `r${i + 1}`),
    );
    await closeSpool(s1);

    const s2 = await spoolAt(dir, { segmentBytes: 100 });
    expect(s2.id).toBe(id);
    expect(s2.stats().lastSeq).toBe(10);
    expect(await appendAll(s2, ['r11'])).toEqual([11]);
    await s2.seek(7);
    expect(text(await s2.read(100))).toEqual(['r7', 'r8', 'r9', 'r10', 'r11']);
    await s2.seek(1);
    expect((await s2.read(100)).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('starts a new segment past segmentBytes and deletes the segments a release no longer needs', async () => {
    const dir = tempDir();
    // 20-byte payloads: 44 bytes a record, two records a 100-byte segment.
    const s = await spoolAt(dir, { segmentBytes: 100 });
    const payload = (i: number) => `record-${String(i).padStart(13, '0')}`;
    await appendAll(
      s,
      Array.from({ length: 6 }, (_, i) => payload(i + 1)),
    );
    expect(segments(dir)).toEqual(['0000000000000001.seg', '0000000000000003.seg', '0000000000000005.seg']);
    expect(text(await s.read(2))).toEqual([payload(1), payload(2)]);

    // Records 1..3 done: only the first segment lies wholly below 4.
    await s.release(4);
    expect(segments(dir)).toEqual(['0000000000000003.seg', '0000000000000005.seg']);
    expect(s.stats()).toMatchObject({ records: 4, lastSeq: 6 });
    // The reader, whose segment was deleted, carries on from the oldest segment left.
    expect((await s.read(100)).map((r) => r.seq)).toEqual([3, 4, 5, 6]);

    // The last segment is always kept, even when everything in it is done.
    await s.release(100);
    expect(segments(dir)).toEqual(['0000000000000005.seg']);
    expect(await appendAll(s, [payload(7)])).toEqual([7]);
    expect(text(await s.read(100))).toEqual([payload(7)]);
  });

  it('cuts off a record torn by a crash when reopened, and appends after the last whole one', async () => {
    const dir = tempDir();
    const s1 = await spoolAt(dir);
    await appendAll(s1, ['one', 'two']);
    await closeSpool(s1);
    const [seg] = segments(dir);
    const file = join(dir, seg!);
    const whole = statSync(file).size;
    // Half of the next record reached the disk before the process died.
    appendFileSync(file, encodeRecord(3, Date.now(), Buffer.from('three')).subarray(0, HEADER_BYTES + 2));

    const warnings: string[] = [];
    const s2 = await spoolAt(dir, { onWarning: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(statSync(file).size).toBe(whole);
    expect(s2.stats()).toMatchObject({ records: 2, lastSeq: 2 });
    expect(await appendAll(s2, ['three again'])).toEqual([3]);
    expect(text(await s2.read(10))).toEqual(['one', 'two', 'three again']);
  });

  it('cuts off a last record whose bytes do not match its checksum', async () => {
    const dir = tempDir();
    const s1 = await spoolAt(dir);
    await appendAll(s1, ['one', 'two']);
    await closeSpool(s1);
    const file = join(dir, segments(dir)[0]!);
    const bytes = readFileSync(file);
    const last = bytes.length - 1;
    bytes.writeUInt8(bytes.readUInt8(last) ^ 0xff, last);
    writeFileSync(file, bytes);

    const warnings: string[] = [];
    const s2 = await spoolAt(dir, { onWarning: (m) => warnings.push(m) });
    expect(warnings).toHaveLength(1);
    expect(text(await s2.read(10))).toEqual(['one']);
    expect(s2.stats().lastSeq).toBe(1);
  });

  it('refuses what would pass maxBytes, and a record larger than the whole spool, keeping nothing of either', async () => {
    const record = HEADER_BYTES + 76;
    const payload = Buffer.alloc(76, 'x');
    const maxBytes = 5 * record + 10;

    // Appends still queued count as well as what is on disk.
    const concurrent = await spoolAt(tempDir(), { maxBytes });
    const results = await Promise.all(Array.from({ length: 8 }, () => concurrent.append(payload)));
    expect(results.map((r) => ('seq' in r ? r.seq : r.refused))).toEqual([1, 2, 3, 4, 5, 'full', 'full', 'full']);
    expect(concurrent.stats()).toEqual({ records: 5, bytes: 5 * record, lastSeq: 5 });

    // Two records a segment: [1 2] [3 4] [5].
    const s = await spoolAt(tempDir(), { maxBytes, segmentBytes: 2 * record });
    await appendAll(
      s,
      ['', '', '', '', ''].map(() => payload.toString()),
    );
    expect(await s.append(payload)).toEqual({ refused: 'full' });
    expect(await s.append(Buffer.alloc(maxBytes))).toEqual({ refused: 'too-large' });
    expect(s.stats()).toEqual({ records: 5, bytes: 5 * record, lastSeq: 5 });

    // Releasing the segments already processed makes room again.
    await s.read(100);
    await s.release(5);
    expect(s.stats()).toEqual({ records: 1, bytes: record, lastSeq: 5 });
    expect(await s.append(payload)).toEqual({ seq: 6 });
  });

  it('is kept off a directory another live process holds, takes over a dead one’s lock, and unlocks on close', async () => {
    const dir = tempDir();
    const lock = join(dir, 'spool.lock');
    // The parent of this test process (the runner) is alive, so its lock holds.
    writeFileSync(lock, String(process.ppid));
    await expect(openSpool({ dir, maxBytes: 1 << 20 })).rejects.toThrow(/in use by process/);

    // A process that has exited left its lock behind (SIGKILL): the next worker takes over.
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(lock, String(dead));
    const s = await spoolAt(dir);
    expect(readFileSync(lock, 'utf8')).toBe(String(process.pid));
    await closeSpool(s);
    expect(existsSync(lock)).toBe(false);
  });
});
