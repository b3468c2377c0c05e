/** Ids as the decoders make them: lower-case hex. */

/** The value of a lower-case hex digit's character code, -1 for any other character. */
export function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** a half's id: trace id and span id in lower-case hex, as every decoder makes them */
export const ID_HEX = 48;
export const TRACE_HEX = 32;

/** Whether `id` is a half's id as decoders make them (the checkpoint stores anything else as text). */
export function isHexId(id: string): boolean {
  if (id.length !== ID_HEX) return false;
  for (let i = 0; i < ID_HEX; i++) if (nibble(id.charCodeAt(i)) < 0) return false;
  return true;
}
