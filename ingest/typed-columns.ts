/**
 * Columns of typed arrays (the pairing buffer's, the presence memory's, the trace sampler's hops) grow
 * by copying into a larger array of the same type: one helper for all of them.
 */
export type TypedColumn = Int32Array | Uint32Array | Uint8Array | Float64Array;

/** `column`'s contents at the start of a new array of its own type, `length` elements long (at least its own). */
export function widened<T extends TypedColumn>(column: T, length: number): T {
  const out = new (column.constructor as new (length: number) => T)(length);
  out.set(column);
  return out;
}
