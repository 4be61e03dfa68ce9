/** Deep Compression codecs: canonical Huffman, 1-D k-means, relative sparse indices. */
import {
  ArgumentRangeError, ArgumentTypeError, CorruptModelError, compressionReport, crc32, MAX_CODE_LENGTH, assignNearest, canonicalCodes, codeLengths, decodeRelativeIndices,
  encodeRelativeIndices, huffmanDecode, huffmanEncode, kmeans1d, livePositions, symbolCounts, validateLengths,
} from '../lib';
import { packLengths, unpackLengths } from '../lib/compress/huffman';
import { randomArray, rng } from './helpers';

function roundTrip(symbols: Uint16Array, alphabet: number): { bits: number } {
  const lengths = codeLengths(symbolCounts(symbols, alphabet));
  const { bytes, bits } = huffmanEncode(symbols, lengths);
  expect(bytes.length).toBe(Math.ceil(bits / 8));
  const back = huffmanDecode(bytes, unpackLengths(packLengths(lengths), alphabet, 'test'), symbols.length, 'test');
  expect(Array.from(back)).toEqual(Array.from(symbols));
  return { bits };
}

/** Entropy lower bound in bits; Huffman is within 1 bit per symbol of it. */
function entropyBits(symbols: Uint16Array, alphabet: number): number {
  const counts = symbolCounts(symbols, alphabet);
  let h = 0;
  for (const c of counts) if (c > 0) h -= c * Math.log2(c / symbols.length);
  return h;
}

describe('canonical Huffman', () => {
  it('assigns canonical codes as DEFLATE does (RFC 1951 §3.2.2 example)', () => {
    // A..H with lengths 3,3,3,3,3,2,4,4 -> 010 011 100 101 110 00 1110 1111
    const codes = canonicalCodes(Uint8Array.of(3, 3, 3, 3, 3, 2, 4, 4));
    expect(Array.from(codes)).toEqual([0b010, 0b011, 0b100, 0b101, 0b110, 0b00, 0b1110, 0b1111]);
  });

  it('builds optimal lengths on a hand-worked example', () => {
    // counts 5, 9, 12, 13, 16, 45 (CLRS): f=1, c/d/e/a/b as in the textbook tree
    const lengths = codeLengths([45, 13, 12, 16, 9, 5]);
    expect(Array.from(lengths)).toEqual([1, 3, 3, 3, 4, 4]);
  });

  it('round-trips random, skewed, one-symbol and empty streams, within a bit per symbol of the entropy', () => {
    const next = rng(1);
    const uniform = Uint16Array.from({ length: 5000 }, () => Math.floor(next() * 64));
    const skewed = Uint16Array.from({ length: 20000 }, () => Math.min(255, Math.floor(-Math.log(next()) * 3)));
    for (const [symbols, alphabet] of [[uniform, 64], [skewed, 256]] as const) {
      const { bits } = roundTrip(symbols, alphabet);
      const h = entropyBits(symbols, alphabet);
      expect(bits).toBeGreaterThanOrEqual(h - 1e-6);
      expect(bits).toBeLessThan(h + symbols.length);
    }
    expect(roundTrip(new Uint16Array(37).fill(5), 8).bits).toBe(37);
    expect(roundTrip(new Uint16Array(0), 8).bits).toBe(0);
    expect(roundTrip(Uint16Array.of(3), 4).bits).toBe(1);
  });

  it(`limits code lengths to ${MAX_CODE_LENGTH} bits on Fibonacci counts and still round-trips`, () => {
    const fib = [1, 1];
    while (fib.length < 30) fib.push(fib[fib.length - 1] + fib[fib.length - 2]);
    const lengths = codeLengths(fib);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(MAX_CODE_LENGTH); // unlimited, the deepest code would have 29 bits
    expect(lengths.every((l) => l > 0)).toBe(true);
    expect(() => validateLengths(lengths, 'fib')).not.toThrow();
    const unlimited = codeLengths(fib.slice(0, 14));
    expect(Math.max(...unlimited)).toBe(13); // a Fibonacci tree is a path: below the limit nothing changes
    const symbols = Uint16Array.from(fib.flatMap((c, s) => Array(Math.min(c, 50)).fill(s)));
    roundTrip(symbols, fib.length);
  });

  it('rejects over-subscribed lengths, undecodable bits, truncation, extra bytes and non-zero padding', () => {
    expect(() => validateLengths(Uint8Array.of(1, 1, 1), 'x')).toThrow(/Kraft/);
    expect(() => validateLengths(Uint8Array.of(16, 1), 'x')).toThrow(CorruptModelError);
    const lengths = Uint8Array.of(1, 2, 0, 0); // codes 0, 10; 11 is no code
    const { bytes } = huffmanEncode(Uint16Array.of(0, 1, 1, 0), lengths); // 0 10 10 0 -> 0101 0000
    expect(Array.from(bytes)).toEqual([0b01010000]);
    expect(() => huffmanDecode(Uint8Array.of(0b11000000), lengths, 1, 'w')).toThrow(/no code/);
    expect(() => huffmanDecode(bytes, lengths, 8, 'w')).toThrow(/ends before/);
    expect(() => huffmanDecode(Uint8Array.of(0b01010000, 0), lengths, 4, 'w')).toThrow(/bytes/);
    expect(() => huffmanDecode(Uint8Array.of(0b01010001), lengths, 4, 'w')).toThrow(/padding/);
    expect(() => huffmanDecode(new Uint8Array(0), new Uint8Array(4), 3, 'w')).toThrow(CorruptModelError);
    expect(() => huffmanEncode(Uint16Array.of(2), lengths)).toThrow(ArgumentRangeError);
    expect(() => unpackLengths(Uint8Array.of(0x21, 0x30), 3, 'l')).toThrow(/unused half/);
  });
});

/** Lloyd's algorithm the plain way: O(nk) nearest-centroid search, ties to the lower centroid. */
function bruteLloyd(values: number[], init: number[], iterations: number): number[] {
  let c = [...init].sort((a, b) => a - b);
  for (let it = 0; it < iterations; it++) {
    const sum = new Array(c.length).fill(0), count = new Array(c.length).fill(0);
    for (const v of values) {
      let best = 0;
      for (let j = 1; j < c.length; j++) if (Math.abs(v - c[j]) < Math.abs(v - c[best])) best = j;
      sum[best] += v;
      count[best]++;
    }
    c = c.map((x, j) => (count[j] ? sum[j] / count[j] : x)).sort((a, b) => a - b);
  }
  return c;
}

describe('1-D k-means', () => {
  it('matches brute-force Lloyd from the linear initialization', () => {
    for (const seed of [1, 2, 3]) {
      const next = rng(seed);
      const values = randomArray(200, next, 0.5).map((v) => v * v * Math.sign(v));
      const k = 8;
      const lo = Math.min(...values), hi = Math.max(...values);
      const init = Array.from({ length: k }, (_, j) => lo + ((hi - lo) * j) / (k - 1));
      const ours = kmeans1d(values, k, { init: 'linear', maxIterations: 500 });
      const ref = bruteLloyd(Array.from(values), init, 500).map(Math.fround);
      const refUsed = ref.filter((c) => Array.from(values).some((v) => ref.reduce((b, x, j) => (Math.abs(v - x) < Math.abs(v - ref[b]) ? j : b), 0) === ref.indexOf(c)));
      expect(ours.converged).toBe(true);
      expect(Array.from(ours.centroids)).toEqual(refUsed);
    }
  });

  it('assigns each value to its nearest centroid, ties to the lower one, like an O(nk) search', () => {
    const next = rng(4);
    const centroids = Float32Array.from(randomArray(16, next).sort());
    const values = Float32Array.from([...randomArray(1000, next), ...Array.from({ length: 15 }, (_, j) => (centroids[j] + centroids[j + 1]) / 2)]);
    const mask = Uint8Array.from(values, (_, i) => (i % 7 === 0 ? 0 : 1));
    const idx = assignNearest(values, centroids, mask);
    values.forEach((v, i) => {
      if (!mask[i]) return expect(idx[i]).toBe(-1);
      let best = 0;
      for (let j = 1; j < 16; j++) if (Math.abs(v - centroids[j]) < Math.abs(v - centroids[best])) best = j;
      expect(idx[i]).toBe(best);
    });
    expect(() => assignNearest(values, Float32Array.of(1, 0))).toThrow(/sorted/);
  });

  it('initializes linearly, by density, at random and by k-means++, deterministically per seed', () => {
    const next = rng(5);
    const values = Float32Array.from({ length: 5000 }, () => (next() < 0.5 ? -1 : 1) * (0.1 + next() ** 3));
    for (const init of ['linear', 'density', 'random', 'kmeans++'] as const) {
      const a = kmeans1d(values, 32, { init, seed: 9 });
      const b = kmeans1d(values, 32, { init, seed: 9 });
      expect(Array.from(a.centroids)).toEqual(Array.from(b.centroids));
      expect(a.centroids.length).toBeGreaterThan(16);
      expect(a.centroids.length).toBeLessThanOrEqual(32);
      expect(Array.from(a.centroids)).toEqual(Array.from(a.centroids).sort((x, y) => x - y));
      // Lloyd never increases the error of the initial centroids; 32 clusters leave little of it
      expect(a.inertia).toBeLessThan(0.01 * values.reduce((s, v) => s + v * v, 0));
    }
    const c1 = kmeans1d(values, 32, { init: 'kmeans++', seed: 1 }).centroids;
    const c2 = kmeans1d(values, 32, { init: 'kmeans++', seed: 2 }).centroids;
    expect(Array.from(c1)).not.toEqual(Array.from(c2));
  });

  it('handles fewer values than clusters, repeated values and empty input; rejects bad options', () => {
    expect(Array.from(kmeans1d(Float32Array.of(3, 1, 3, 3), 8).centroids)).toEqual([1, 3]);
    expect(kmeans1d(new Float32Array(0), 4).centroids.length).toBe(0);
    expect(Array.from(kmeans1d(Float32Array.of(2, 2, 2), 4, { init: 'kmeans++' }).centroids)).toEqual([2]);
    expect(() => kmeans1d(Float32Array.of(1, NaN), 2)).toThrow(/finite/);
    expect(() => kmeans1d(Float32Array.of(1), 0)).toThrow(ArgumentRangeError);
    expect(() => kmeans1d(Float32Array.of(1), 2, { init: 'median' as never })).toThrow(/init/);
  });
});

describe('relative sparse indices', () => {
  it('round-trips positions with long gaps through filler entries', () => {
    const positions = Int32Array.of(0, 1, 30, 31, 62, 63 + 31, 200, 1000, 4095);
    for (const bits of [1, 3, 5, 8]) {
      const runs = encodeRelativeIndices(positions, bits);
      const filler = 2 ** bits - 1;
      expect(runs.every((r) => r <= filler)).toBe(true);
      let fillers = 0, prev = -1;
      for (const p of positions) {
        fillers += Math.floor((p - prev - 1) / filler);
        prev = p;
      }
      expect(runs.length).toBe(positions.length + fillers);
      expect(Array.from(decodeRelativeIndices(runs, bits, 4096, positions.length, 'idx'))).toEqual(Array.from(positions));
    }
    // hand-worked, 3 bits (filler 7): gaps 0, 7 (one filler + 0), 15 (two fillers + 1)
    expect(Array.from(encodeRelativeIndices(Int32Array.of(0, 8, 24), 3))).toEqual([0, 7, 0, 7, 7, 1]);
  });

  it('finds live positions from the mask, or from non-zero values without one', () => {
    const w = Float32Array.of(0, 2, 0, -1, 0);
    expect(Array.from(livePositions(w, null))).toEqual([1, 3]);
    expect(Array.from(livePositions(w, Uint8Array.of(1, 1, 0, 0, 0)))).toEqual([0, 1]);
  });

  it('rejects streams that overrun the tensor, miscount entries or end in a filler', () => {
    expect(() => decodeRelativeIndices(Uint16Array.of(3, 3), 3, 5, 2, 'i')).toThrow(/past the tensor/);
    expect(() => decodeRelativeIndices(Uint16Array.of(0, 0), 3, 5, 1, 'i')).toThrow(/more than/);
    expect(() => decodeRelativeIndices(Uint16Array.of(0), 3, 5, 2, 'i')).toThrow(/declares 2/);
    expect(() => decodeRelativeIndices(Uint16Array.of(0, 7), 3, 50, 1, 'i')).toThrow(/filler/);
  });
});

describe('bad arguments are typed errors naming the parameter', () => {
  const F = Float32Array.of(1, 2, 3, 4);
  it.each([
    ['kmeans1d(F, 4, null)', () => kmeans1d(F, 4, null as never), ArgumentTypeError, 'Expected an options object for options but received null'],
    ['kmeans1d with a bigint init', () => kmeans1d(F, 4, { init: 1n as never }), ArgumentRangeError, 'Expected one of linear, density, random, kmeans++ for init but received a bigint'],
    ['assignNearest(null, …)', () => assignNearest(null as never, F), ArgumentTypeError, 'Expected a Float32Array for values but received null'],
    ['symbolCounts(u16, -1)', () => symbolCounts(new Uint16Array(3), -1), ArgumentRangeError, 'Expected an integer in [0, 4096] for alphabet but received the number -1'],
    ['symbolCounts(null, 4)', () => symbolCounts(null as never, 4), ArgumentTypeError, 'Expected a Uint16Array for symbols but received null'],
    ['huffmanDecode count 1e308', () => huffmanDecode(new Uint8Array(2), Uint8Array.of(1, 1), 1e308, 'w'), ArgumentRangeError, 'Expected an integer in [0, 9007199254740991] for count but received the number 1e+308'],
    ['huffmanDecode count 2^40', () => huffmanDecode(new Uint8Array(2), Uint8Array.of(1, 1), 2 ** 40, 'w'), CorruptModelError, 'w: 1099511627776 symbols cannot fit in 2 bytes'],
    ['huffmanDecode(null, …)', () => huffmanDecode(null as never, Uint8Array.of(1, 1), 1, 'w'), ArgumentTypeError, 'Expected a Uint8Array for bytes but received null'],
    ['decodeRelativeIndices size 2^40', () => decodeRelativeIndices(new Uint16Array(3), 4, 2 ** 40, 2 ** 40, 'i'), ArgumentRangeError, 'Expected an integer in [0, 2147483647] for size but received the number 1099511627776'],
    ['decodeRelativeIndices live past size', () => decodeRelativeIndices(new Uint16Array(3), 4, 5, 6, 'i'), ArgumentRangeError, 'Expected an integer in [0, 5] for live but received the number 6'],
    ['encodeRelativeIndices descending', () => encodeRelativeIndices(Int32Array.of(5, 2), 4), ArgumentRangeError, 'Expected ascending positions >= 0 (above 5) for positions[1] but received the number 2'],
    ['encodeRelativeIndices(null)', () => encodeRelativeIndices(null as never, 4), ArgumentTypeError, 'Expected an Int32Array for positions but received null'],
    ['livePositions(null)', () => livePositions(null as never, null), ArgumentTypeError, 'Expected a Float32Array for values but received null'],
    ['codeLengths(null)', () => codeLengths(null as never), ArgumentTypeError, 'Expected an array or typed array of counts for counts but received null'],
    ['codeLengths with an infinite count', () => codeLengths([Infinity, 1, 1]), ArgumentRangeError, 'Expected a finite count >= 0 for counts[0] but received the number Infinity'],
    ['canonicalCodes(null)', () => canonicalCodes(null as never), ArgumentTypeError, 'Expected a Uint8Array for lengths but received null'],
    ['canonicalCodes of a 16-bit length', () => canonicalCodes(Uint8Array.of(16, 1)), ArgumentRangeError, 'Expected valid code lengths for lengths but received lengths: code length 16 of symbol 0 exceeds 15'],
    ['huffmanEncode(null, …)', () => huffmanEncode(null as never, Uint8Array.of(1, 1)), ArgumentTypeError, 'Expected a Uint16Array for symbols but received null'],
    ['validateLengths(null)', () => validateLengths(null as never, 'x'), ArgumentTypeError, 'Expected a Uint8Array for lengths but received null'],
    ['crc32(5)', () => crc32(5 as never), ArgumentTypeError, 'Expected a Uint8Array, Buffer or string for data but received the number 5'],
    ['crc32 with a bad start value', () => crc32('abc', -1), ArgumentRangeError, 'Expected an integer in [0, 4294967295] for value but received the number -1'],
    ['compressionReport(null)', () => compressionReport(null as never, 1, 1), ArgumentTypeError, 'Expected an array of tensor layouts (encodeModel().layout) for layout but received null'],
    ['compressionReport header past the file', () => compressionReport([], 10, 20), ArgumentRangeError, 'Expected an integer in [0, 10] for headerBytes but received the number 20'],
  ])('%s', (_, call, type, message) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });
});
