/**
 * Relative sparse indices (Deep Compression §2): a layer's live positions, in
 * row-major order, stored as the number of zeros skipped before each entry, in
 * a fixed width of `indexBits` bits. The largest value, 2^indexBits − 1, is a
 * filler: it skips that many positions and lands on a zero, carrying no
 * weight, so any gap is representable (the paper's filler zeros, without
 * spending a weight symbol on them).
 */
import { ArgumentRangeError, CorruptModelError } from '../errors';
import {
  assertFloat32Array, assertInt32Array, assertInteger, assertLength, assertString, assertUint16Array, assertUint8Array, describe, expected,
} from '../validate';
import { MAX_ALPHABET } from './huffman';

export const MAX_INDEX_BITS = Math.log2(MAX_ALPHABET);

/** Positions of the live entries: mask 1, or (without a mask) value ≠ 0. */
export function livePositions(values: Float32Array, mask: Uint8Array | null): Int32Array {
  assertFloat32Array('values', values);
  if (mask !== null) {
    assertUint8Array('mask', mask);
    assertLength('mask', mask.length, values.length);
  }
  let count = 0;
  for (let i = 0; i < values.length; i++) if (mask ? mask[i] : values[i] !== 0) count++;
  const out = new Int32Array(count);
  for (let i = 0, j = 0; i < values.length; i++) if (mask ? mask[i] : values[i] !== 0) out[j++] = i;
  return out;
}

/** The values at the given positions, in order. */
export function gatherLive(values: Float32Array, positions: Int32Array): Float32Array {
  const out = new Float32Array(positions.length);
  for (let j = 0; j < positions.length; j++) out[j] = values[positions[j]];
  return out;
}

/** The relative-index symbols of ascending positions, fillers included. */
export function encodeRelativeIndices(positions: Int32Array, indexBits: number): Uint16Array {
  assertInt32Array('positions', positions);
  assertInteger('indexBits', indexBits, 1, MAX_INDEX_BITS);
  const filler = 2 ** indexBits - 1;
  let entries = positions.length, prev = -1;
  for (let j = 0; j < positions.length; j++) {
    const p = positions[j];
    // A gap below zero would wrap in the Uint16Array: a silently wrong stream.
    if (p <= prev) throw new ArgumentRangeError(expected(`ascending positions >= 0 (above ${prev})`, `positions[${j}]`, describe(p)));
    entries += Math.floor((p - prev - 1) / filler);
    prev = p;
  }
  const runs = new Uint16Array(entries);
  let j = 0;
  prev = -1;
  for (const p of positions) {
    let gap = p - prev - 1;
    for (; gap >= filler; gap -= filler) runs[j++] = filler;
    runs[j++] = gap;
    prev = p;
  }
  return runs;
}

/** Positions from relative-index symbols, checked against the tensor's size and its declared live count. */
export function decodeRelativeIndices(runs: Uint16Array, indexBits: number, size: number, live: number, where: string): Int32Array {
  assertUint16Array('runs', runs);
  assertInteger('indexBits', indexBits, 1, MAX_INDEX_BITS);
  // Positions are Int32.
  assertInteger('size', size, 0, 2 ** 31 - 1);
  assertInteger('live', live, 0, size);
  assertString('where', where);
  const filler = 2 ** indexBits - 1;
  // Each live entry takes a symbol: a declared count beyond the stream's is refused below, without allocating it.
  const positions = new Int32Array(Math.min(live, runs.length));
  let p = -1, j = 0;
  for (let i = 0; i < runs.length; i++) {
    const d = runs[i];
    if (d === filler) {
      p += filler;
      continue;
    }
    p += d + 1;
    if (p >= size) throw new CorruptModelError(`${where}: entry ${j} lands at position ${p}, past the tensor's ${size} entries`);
    if (j >= live) throw new CorruptModelError(`${where}: more than the declared ${live} live entries`);
    positions[j++] = p;
  }
  if (j !== live) throw new CorruptModelError(`${where}: ${j} live entries where the header declares ${live}`);
  if (runs.length > 0 && runs[runs.length - 1] === filler) throw new CorruptModelError(`${where}: the index stream ends with a filler`);
  return positions;
}
