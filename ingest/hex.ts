/** Ids as the decoders make them: lower-case hex. */

/** The value of a lower-case hex digit's character code, -1 for any other character. */
export function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}
