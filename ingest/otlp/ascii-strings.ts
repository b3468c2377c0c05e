/**
 * Short ASCII strings read from request bodies, one string per text while it keeps coming back: span
 * names and the attribute values derivation reads (an HTTP method, a route, a peer's address, a
 * database's system and operation) repeat span after span, and Buffer's latin1 slice that made each
 * of them is a call into C++ per string, ~20 times the cost of finding it here by its bytes. The
 * string found is also one V8 has hashed already, for every map the span's facts are then looked up in.
 *
 * A direct-mapped table of texts by a hash of their bytes, bounded (`SLOTS` strings of at most
 * `MAX_LENGTH` characters, a few MB at most). Texts that come once (a URL with an id in it) must not
 * push out the ones that repeat, so a slot's text earns credit when found again, and a new text takes
 * the slot only once that credit has been spent by others missing it. Only the cost depends on it:
 * what a read returns is the text of the bytes, as `buf.toString('latin1', start, end)` gives it.
 */

const SLOTS = 1 << 15;
/** longer strings (a full URL, a statement) rarely repeat whole: they are not looked up */
export const MAX_LENGTH = 64;
/** what a slot's text earns at most by being found again: so many other texts it outlasts */
const MAX_CREDIT = 3;

const texts: (string | undefined)[] = new Array<string | undefined>(SLOTS).fill(undefined);
const hashes = new Int32Array(SLOTS);
const credits = new Uint8Array(SLOTS);

/** what `asciiHash` gives for bytes that are not all ASCII (no hash of ASCII bytes is this) */
const NOT_ASCII = 0.5;

/** FNV-1a over `buf[start, end)`, checking that each byte is ASCII on the way; `NOT_ASCII` when one is not. */
export function asciiHash(buf: Buffer, start: number, end: number): number {
  let h = 0x811c9dc5 ^ (end - start);
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    if (b >= 0x80) return NOT_ASCII;
    h = Math.imul(h ^ b, 0x01000193);
  }
  return h;
}

/**
 * `buf[start, end)` as text when it is ASCII and at most `MAX_LENGTH` bytes (the same string for the
 * same bytes while the table keeps it); undefined for any other, which the caller reads as before.
 */
export function shortAscii(buf: Buffer, start: number, end: number): string | undefined {
  const len = end - start;
  if (len > MAX_LENGTH) return undefined;
  const h = asciiHash(buf, start, end);
  if (h === NOT_ASCII) return undefined;
  const slot = (h ^ (h >>> 17)) & (SLOTS - 1);
  const known = texts[slot];
  if (known !== undefined && hashes[slot] === h && known.length === len) {
    let i = 0;
    while (i < len && known.charCodeAt(i) === buf[start + i]) i++;
    if (i === len) {
      if (credits[slot]! < MAX_CREDIT) credits[slot] = credits[slot]! + 1;
      return known;
    }
  }
  const text = buf.toString('latin1', start, end);
  if (known === undefined || credits[slot] === 0) {
    texts[slot] = text;
    hashes[slot] = h;
  } else credits[slot] = credits[slot]! - 1;
  return text;
}
