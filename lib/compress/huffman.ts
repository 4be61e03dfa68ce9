/**
 * Canonical Huffman coding (Deep Compression §4). Only code lengths are
 * stored: canonical codes follow from them (shorter codes first, then by
 * symbol, as in DEFLATE). Streams are MSB-first bit strings; the native
 * kernels do the per-symbol work and decode by table lookup on the next
 * `maxLength` bits, never walking a tree.
 *
 * Lengths are limited to MAX_CODE_LENGTH bits by flattening the frequencies
 * (halving, keeping every used symbol at least 1) until the optimal code fits,
 * which runs only on very skewed counts: on Fibonacci-like counts or a
 * 4096-symbol geometric alphabet it costs 0.005–0.015% more bits than an
 * optimal length-limited code (package-merge) would.
 */
import { ArgumentRangeError, ArgumentTypeError, CorruptModelError } from '../errors';
import { native } from '../native';
import { assertInteger, assertString, assertUint16Array, assertUint8Array, describe, expected, isArrayOrTypedArray } from '../validate';

export const MAX_CODE_LENGTH = 15;
export const MAX_ALPHABET = 4096;

/** Code lengths given as an argument (not read from a file): a bad one is the caller's error, not a corrupt model. */
function assertLengths(name: string, lengths: unknown): asserts lengths is Uint8Array {
  assertUint8Array(name, lengths);
  assertInteger(`${name}.length`, lengths.length, 0, MAX_ALPHABET);
  try {
    validateLengths(lengths, name);
  } catch (e) {
    if (e instanceof CorruptModelError) throw new ArgumentRangeError(expected('valid code lengths', name, e.message));
    throw e;
  }
}

/** Symbol counts of a stream over an alphabet of the given size. */
export function symbolCounts(symbols: Uint16Array, alphabet: number): Float64Array {
  assertUint16Array('symbols', symbols);
  assertInteger('alphabet', alphabet, 0, MAX_ALPHABET);
  const counts = new Float64Array(alphabet);
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i];
    if (s >= alphabet) throw new ArgumentRangeError(`symbol ${s} at position ${i} is outside the alphabet of ${alphabet}`);
    counts[s]++;
  }
  return counts;
}

/** Optimal (Huffman) code lengths for the counts, none above maxLength; unused symbols get 0. */
export function codeLengths(counts: ArrayLike<number>, maxLength = MAX_CODE_LENGTH): Uint8Array {
  assertInteger('maxLength', maxLength, 1, MAX_CODE_LENGTH);
  if (!isArrayOrTypedArray(counts)) {
    throw new ArgumentTypeError(expected('an array or typed array of counts', 'counts', describe(counts)));
  }
  const n = counts.length;
  assertInteger('counts.length', n, 0, MAX_ALPHABET);
  const used: number[] = [];
  for (let s = 0; s < n; s++) {
    // An infinite count would never halve below the length limit (an endless loop); NaN would be silently unused.
    const c: unknown = counts[s];
    if (typeof c !== 'number' || !(c >= 0 && c < Infinity)) throw new ArgumentRangeError(expected('a finite count >= 0', `counts[${s}]`, describe(c)));
    if (c > 0) used.push(s);
  }
  if (used.length > 2 ** maxLength) {
    throw new ArgumentRangeError(`${used.length} used symbols cannot have codes of at most ${maxLength} bits`);
  }
  const lengths = new Uint8Array(n);
  if (used.length === 1) lengths[used[0]] = 1;
  if (used.length <= 1) return lengths;
  const weights = used.map((s) => counts[s]);
  for (;;) {
    const depth = huffmanDepths(weights);
    if (Math.max(...depth) <= maxLength) {
      used.forEach((s, i) => (lengths[s] = depth[i]));
      return lengths;
    }
    for (let i = 0; i < weights.length; i++) weights[i] = Math.max(1, Math.floor(weights[i] / 2));
  }
}

/** Depth of each leaf in a Huffman tree over weights (two-queue construction, ties by order). */
function huffmanDepths(weights: number[]): number[] {
  const m = weights.length;
  const order = weights.map((_, i) => i).sort((a, b) => weights[a] - weights[b] || a - b);
  // Nodes 0..m-1 are leaves (in sorted order), m.. are internal.
  const weight = new Float64Array(2 * m - 1), parent = new Int32Array(2 * m - 1);
  order.forEach((leaf, i) => (weight[i] = weights[leaf]));
  let leaf = 0, inner = m, next = m;
  const take = (): number => (leaf < m && (inner >= next || weight[leaf] <= weight[inner]) ? leaf++ : inner++);
  while (next < 2 * m - 1) {
    const a = take(), b = take();
    weight[next] = weight[a] + weight[b];
    parent[a] = parent[b] = next;
    next++;
  }
  const depthOf = new Int32Array(2 * m - 1);
  for (let i = 2 * m - 3; i >= 0; i--) depthOf[i] = depthOf[parent[i]] + 1;
  const depth = new Array<number>(m);
  order.forEach((leafIndex, i) => (depth[leafIndex] = depthOf[i]));
  return depth;
}

/**
 * Checks stored lengths: each at most MAX_CODE_LENGTH and the Kraft sum at
 * most 1 (an incomplete code is allowed; unused bit patterns fail decoding).
 */
export function validateLengths(lengths: Uint8Array, where: string): void {
  assertUint8Array('lengths', lengths);
  assertString('where', where);
  let kraft = 0;
  for (let s = 0; s < lengths.length; s++) {
    const l = lengths[s];
    if (l > MAX_CODE_LENGTH) throw new CorruptModelError(`${where}: code length ${l} of symbol ${s} exceeds ${MAX_CODE_LENGTH}`);
    if (l > 0) kraft += 2 ** (MAX_CODE_LENGTH - l);
  }
  if (kraft > 2 ** MAX_CODE_LENGTH) {
    throw new CorruptModelError(`${where}: code lengths violate the Kraft inequality (sum ${kraft / 2 ** MAX_CODE_LENGTH} > 1)`);
  }
}

/** Canonical codes (right-aligned) for valid lengths. */
export function canonicalCodes(lengths: Uint8Array): Uint16Array {
  assertLengths('lengths', lengths);
  const perLength = new Uint32Array(MAX_CODE_LENGTH + 1);
  for (const l of lengths) if (l > 0) perLength[l]++;
  const first = new Uint32Array(MAX_CODE_LENGTH + 2);
  let code = 0;
  for (let l = 1; l <= MAX_CODE_LENGTH; l++) {
    code = (code + perLength[l - 1]) << 1;
    first[l] = code;
  }
  const codes = new Uint16Array(lengths.length);
  for (let s = 0; s < lengths.length; s++) if (lengths[s] > 0) codes[s] = first[lengths[s]]++;
  return codes;
}

/** The native decoder's lookup table: 2^maxLength entries of (symbol << 4) | length. */
export function decodeTable(lengths: Uint8Array): { table: Uint32Array; bits: number } {
  const codes = canonicalCodes(lengths);
  let bits = 1;
  for (const l of lengths) bits = Math.max(bits, l);
  const table = new Uint32Array(1 << bits);
  for (let s = 0; s < lengths.length; s++) {
    const l = lengths[s];
    if (l === 0) continue;
    const start = codes[s] << (bits - l);
    table.fill((s << 4) | l, start, start + (1 << (bits - l)));
  }
  return { table, bits };
}

export interface EncodedStream {
  bytes: Uint8Array;
  bits: number;
}

/** Encodes symbols with the canonical code of the given lengths (every symbol used must have a code). */
export function huffmanEncode(symbols: Uint16Array, lengths: Uint8Array): EncodedStream {
  assertUint16Array('symbols', symbols);
  assertLengths('lengths', lengths);
  let maxBits = 0;
  for (const l of lengths) maxBits = Math.max(maxBits, l);
  const out = new Uint8Array(Math.ceil((symbols.length * maxBits) / 8));
  const bits = native.huffmanEncode(symbols, canonicalCodes(lengths), lengths, out);
  return { bytes: out.subarray(0, Math.ceil(bits / 8)), bits };
}

/**
 * Decodes exactly `count` symbols and checks that the stream is exactly as
 * long as they need (no missing bytes, no extra bytes, zero padding bits).
 */
export function huffmanDecode(bytes: Uint8Array, lengths: Uint8Array, count: number, where: string): Uint16Array {
  assertUint8Array('bytes', bytes);
  assertUint8Array('lengths', lengths);
  assertInteger('count', count, 0);
  validateLengths(lengths, where);
  // Every symbol takes at least one bit: checked before allocating the output.
  if (count > bytes.length * 8) throw new CorruptModelError(`${where}: ${count} symbols cannot fit in ${bytes.length} bytes`);
  const out = new Uint16Array(count);
  if (count === 0) {
    if (bytes.length !== 0) throw new CorruptModelError(`${where}: ${bytes.length} bytes for an empty stream`);
    return out;
  }
  if (!lengths.some((l) => l > 0)) throw new CorruptModelError(`${where}: ${count} symbols but no symbol has a code`);
  const { table, bits } = decodeTable(lengths);
  const used = native.huffmanDecode(bytes, table, bits, out);
  if (used === -1) throw new CorruptModelError(`${where}: the stream ends before its ${count} symbols`);
  if (used === -2) throw new CorruptModelError(`${where}: the stream holds a bit pattern that is no code`);
  if (Math.ceil(used / 8) !== bytes.length) {
    throw new CorruptModelError(`${where}: ${count} symbols take ${Math.ceil(used / 8)} bytes but the stream has ${bytes.length}`);
  }
  const pad = used % 8;
  if (pad !== 0 && (bytes[bytes.length - 1] & ((1 << (8 - pad)) - 1)) !== 0) {
    throw new CorruptModelError(`${where}: the padding bits after the last code are not zero`);
  }
  return out;
}

/** Lengths packed two per byte (low nibble first): MAX_CODE_LENGTH fits in 4 bits. */
export function packLengths(lengths: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(lengths.length / 2));
  for (let s = 0; s < lengths.length; s++) out[s >> 1] |= lengths[s] << ((s & 1) * 4);
  return out;
}

export function unpackLengths(packed: Uint8Array, alphabet: number, where: string): Uint8Array {
  if (packed.length !== Math.ceil(alphabet / 2)) {
    throw new CorruptModelError(`${where}: ${packed.length} bytes of code lengths for an alphabet of ${alphabet} (expected ${Math.ceil(alphabet / 2)})`);
  }
  const lengths = new Uint8Array(alphabet);
  for (let s = 0; s < alphabet; s++) lengths[s] = (packed[s >> 1] >> ((s & 1) * 4)) & 15;
  if (alphabet % 2 === 1 && packed.length > 0 && packed[packed.length - 1] >> 4 !== 0) {
    throw new CorruptModelError(`${where}: the unused half of the last code-length byte is not zero`);
  }
  return lengths;
}
