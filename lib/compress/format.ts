/**
 * The compressed model file (docs/FORMAT.md documents it byte by byte):
 *
 *   magic "\x89PRK\r\n\x1a\n" · u32 version · u32 header bytes · u32 header CRC-32 · JSON header
 *   then, for each tensor the header lists, for each of its encoding's sections in order:
 *   u32 payload bytes · u32 CRC-32 · payload
 *
 * Integers are little-endian. A section's CRC-32 covers "<tensor>:<section>"
 * and then the payload, so a section moved to another place fails its check.
 * The reader checks every length against the bytes that remain before
 * slicing, every CRC before decoding, and every decoded count against the
 * architecture; it allocates at most MAX_EXPANSION times the file's size
 * plus 1 MiB.
 */
import { ArgumentRangeError, ArgumentTypeError, CorruptModelError, NonFiniteError } from '../errors';
import { LayerSpec } from '../nn/layer';
import { Parameter } from '../nn/parameter';
import { Sequential, assertModel } from '../nn/sequential';
import { assertSavableNames, modelFromSpec, specParameterCount } from '../nn/spec';
import { SERVABLE_MODEL, whyUnservable } from '../nn/inference';
import { firstNonFinite } from '../kernels/elementwise';
import { MAGIC } from '../version';
import { layerNameOf } from '../prune/targets';
import { assertString, assertUint8Array, describe, expected, optionsObject } from '../validate';
import { bytesOf } from '../files';
import { crc32 } from './crc32';
import { MAX_ALPHABET, codeLengths, huffmanDecode, huffmanEncode, packLengths, symbolCounts, unpackLengths } from './huffman';
import { assignNearest } from './kmeans';
import { BitsOption, bitsFor, checkBitsOption } from './sharing';
import { MAX_INDEX_BITS, decodeRelativeIndices, encodeRelativeIndices, gatherLive, livePositions } from './sparse-index';
import { native } from '../native';

export { MAGIC };
export const FORMAT_VERSION = 1;
/** The reader refuses files whose model would take more than this many times the file's size (plus 1 MiB). */
export const MAX_EXPANSION = 256;
const MAX_HEADER_BYTES = 16 * 2 ** 20;
const PREAMBLE_BYTES = 20;

export type TensorEncoding = 'shared-sparse' | 'sparse-float32' | 'float32';

export const SECTIONS: Record<TensorEncoding, readonly string[]> = {
  'shared-sparse': ['codebook', 'weightLengths', 'weights', 'indexLengths', 'indices'],
  'sparse-float32': ['values', 'indexLengths', 'indices'],
  float32: ['values'],
};

export interface TensorHeader {
  name: string;
  shape: number[];
  encoding: TensorEncoding;
  /** Whether the tensor carries a pruning mask (sparse encodings). */
  masked?: boolean;
  /** Live (stored) entries (sparse encodings). */
  nonzero?: number;
  /** Relative-index symbols, fillers included (sparse encodings). */
  entries?: number;
  indexBits?: number;
  /** Bits per weight index before Huffman coding (shared-sparse). */
  weightBits?: number;
  codebookSize?: number;
}

export interface ModelFileHeader {
  format: 'prunekit-model';
  version: number;
  architecture: LayerSpec[];
  tensors: TensorHeader[];
  metadata: Record<string, unknown>;
}

export interface EncodeOptions {
  /** Relative-index width per layer; default 8 for convolution kernels, 5 for dense weights (the paper's choice). */
  indexBits?: BitsOption;
  /**
   * Declared bits per weight index: a number, or per layer with an optional
   * `default` (a layer it does not name gets 8 bits for convolutions, 5 for
   * dense weights); left out, the fewest that hold each codebook. A layer
   * whose live values take more than 2^bits distinct values is stored as
   * float32 values instead (as are unshared layers).
   */
  weightBits?: BitsOption;
  metadata?: Record<string, unknown>;
}

/** Byte sizes of one tensor's sections as written (payloads, not counting the 8-byte section frames). */
export interface TensorLayout {
  header: TensorHeader;
  sections: Record<string, number>;
}

export interface EncodedModel {
  bytes: Buffer;
  header: ModelFileHeader;
  layout: TensorLayout[];
  headerBytes: number;
}

const DEFAULT_INDEX_BITS = { conv: 8, dense: 5 } as const;

function f32Bytes(values: Float32Array): Uint8Array {
  const copy = Float32Array.from(values); // little-endian on every platform Node supports
  return new Uint8Array(copy.buffer);
}

/** The reader refuses NaN and infinities: never write a file that cannot be read back. */
function assertStorable(name: string, values: Float32Array): void {
  const at = firstNonFinite(values);
  if (at >= 0) throw new NonFiniteError(`cannot encode ${name}: it stores ${values[at]} at entry ${at}; a model file holds finite values only`);
}

/**
 * The distinct values, sorted (−0 before +0, both kept, so each live value
 * reads back bit for bit), or null when there are more than MAX_ALPHABET.
 */
function distinctValues(live: Float32Array): Float32Array | null {
  const sorted = live.slice().sort();
  const out: number[] = [];
  for (let j = 0; j < sorted.length; j++) {
    if (j === 0 || !Object.is(sorted[j], sorted[j - 1])) {
      if (out.length === MAX_ALPHABET) return null;
      out.push(sorted[j]);
    }
  }
  return Float32Array.from(out);
}

/** Each live value's codebook entry; a +0 goes to the +0 entry, which nearest-value search would not tell from −0. */
function codebookSymbols(live: Float32Array, codebook: Float32Array): Uint16Array {
  const symbols = Uint16Array.from(codebook.length ? assignNearest(live, codebook) : []);
  const positiveZero = codebook.findIndex((v) => Object.is(v, 0));
  if (positiveZero > 0 && Object.is(codebook[positiveZero - 1], -0)) {
    for (let i = 0; i < live.length; i++) if (Object.is(live[i], 0)) symbols[i] = positiveZero;
  }
  return symbols;
}

function encodeTensor(p: Parameter, options: EncodeOptions): { header: TensorHeader; sections: [string, Uint8Array][] } {
  const shape = [...p.shape];
  if (p.role === 'bias' || p.shape.length < 2) {
    assertStorable(p.name, p.value.data);
    return { header: { name: p.name, shape, encoding: 'float32' }, sections: [['values', f32Bytes(p.value.data)]] };
  }
  const layer = layerNameOf(p);
  const indexBits = bitsFor(options.indexBits, layer, p, DEFAULT_INDEX_BITS, 'options.indexBits');
  const positions = livePositions(p.value.data, p.mask);
  const runs = encodeRelativeIndices(positions, indexBits);
  const indexLengths = codeLengths(symbolCounts(runs, 2 ** indexBits));
  const indexSections: [string, Uint8Array][] = [['indexLengths', packLengths(indexLengths)], ['indices', huffmanEncode(runs, indexLengths).bytes]];
  const base = { name: p.name, shape, masked: p.mask !== null, nonzero: positions.length, entries: runs.length, indexBits };
  const live = gatherLive(p.value.data, positions);
  assertStorable(p.name, live);
  const codebook = distinctValues(live);
  const declared = options.weightBits === undefined ? undefined : bitsFor(options.weightBits, layer, p, undefined, 'options.weightBits');
  // A codebook pays when its entries plus the indices cost less than float32 values (not so for unquantized weights).
  const indexCost = codebook ? codebook.length * 4 + (positions.length * Math.ceil(Math.log2(Math.max(codebook.length, 2)))) / 8 : Infinity;
  if (codebook === null || (declared !== undefined && codebook.length > 2 ** declared) || (positions.length > 0 && indexCost >= positions.length * 4)) {
    return { header: { ...base, encoding: 'sparse-float32' }, sections: [['values', f32Bytes(live)], ...indexSections] };
  }
  const symbols = codebookSymbols(live, codebook);
  const weightLengths = codeLengths(symbolCounts(symbols, codebook.length));
  const weightBits = declared ?? Math.max(1, Math.ceil(Math.log2(Math.max(codebook.length, 1))));
  return {
    header: { ...base, encoding: 'shared-sparse', weightBits, codebookSize: codebook.length },
    sections: [
      ['codebook', f32Bytes(codebook)],
      ['weightLengths', packLengths(weightLengths)],
      ['weights', huffmanEncode(symbols, weightLengths).bytes],
      ...indexSections,
    ],
  };
}

/**
 * Encodes a model. Weights whose live values take at most 2^weightBits
 * distinct values (after shareWeights) are stored as codebook indices;
 * others as float32 values; both with relative sparse indices. Biases are
 * float32. Loading the result reproduces every stored value (−0 included)
 * and mask bit for bit; entries not stored (masked out, or zeros of a layer
 * without a mask) read back as +0. A NaN or infinite stored value is a
 * NonFiniteError: the reader would refuse the file.
 */
export function encodeModel(model: Sequential, options: EncodeOptions = {}): EncodedModel {
  assertModel('model', model);
  assertSavableNames(model);
  // The reader refuses what could not serve: never write a file that cannot be read back.
  const unservable = whyUnservable(model);
  if (unservable !== null) throw new ArgumentTypeError(expected(SERVABLE_MODEL, 'model', unservable));
  options = optionsObject('options', options, ['indexBits', 'weightBits', 'metadata']);
  const known = new Set(model.parameters().flatMap((p) => [layerNameOf(p), p.name]));
  checkBitsOption(options.indexBits, known, 'options.indexBits');
  checkBitsOption(options.weightBits, known, 'options.weightBits');
  const metadata = options.metadata ?? {};
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new ArgumentTypeError(expected('an object', 'options.metadata', describe(metadata)));
  }
  // The metadata is written into the header as JSON: a bigint or a cycle makes JSON.stringify throw V8's own TypeError.
  try {
    JSON.stringify(metadata);
  } catch (e) {
    throw new ArgumentTypeError(expected('JSON-serialisable metadata', 'options.metadata', `a value JSON.stringify refuses (${String((e as Error).message).split('\n')[0]})`));
  }
  const encoded = model.parameters().map((p) => encodeTensor(p, options));
  const header: ModelFileHeader = {
    format: 'prunekit-model',
    version: FORMAT_VERSION,
    architecture: model.spec(),
    tensors: encoded.map((e) => e.header),
    metadata: metadata as Record<string, unknown>,
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  // decodeModel refuses larger headers: never write a file that cannot be read back.
  if (json.length > MAX_HEADER_BYTES) {
    throw new ArgumentRangeError(expected(`metadata that keeps the header within ${MAX_HEADER_BYTES} bytes`, 'options.metadata', `a ${json.length}-byte header`));
  }
  let total = PREAMBLE_BYTES + json.length;
  for (const e of encoded) for (const [, s] of e.sections) total += 8 + s.length;
  const out = Buffer.alloc(total);
  out.set(MAGIC, 0);
  out.writeUInt32LE(FORMAT_VERSION, 8);
  out.writeUInt32LE(json.length, 12);
  out.writeUInt32LE(crc32(json), 16);
  json.copy(out, PREAMBLE_BYTES);
  let at = PREAMBLE_BYTES + json.length;
  for (const e of encoded) {
    for (const [section, payload] of e.sections) {
      out.writeUInt32LE(payload.length, at);
      out.writeUInt32LE(sectionCrc(e.header.name, section, payload), at + 4);
      out.set(payload, at + 8);
      at += 8 + payload.length;
    }
  }
  const layout = encoded.map((e) => ({ header: e.header, sections: Object.fromEntries(e.sections.map(([k, v]) => [k, v.length])) }));
  return { bytes: out, header, layout, headerBytes: PREAMBLE_BYTES + json.length };
}

function sectionCrc(tensor: string, section: string, payload: Uint8Array): number {
  return crc32(payload, crc32(`${tensor}:${section}`));
}

export interface DecodedModel {
  model: Sequential;
  header: ModelFileHeader;
  layout: TensorLayout[];
  headerBytes: number;
}

/** Reads a model file's bytes; every problem is a CorruptModelError naming what and where. */
export function decodeModel(buf: Uint8Array, name = 'model file'): DecodedModel {
  assertUint8Array('buf', buf);
  assertString('name', name);
  const fail = (msg: string): never => {
    throw new CorruptModelError(`${name}: ${msg}`);
  };
  const bytes = bytesOf(buf);
  if (bytes.length < PREAMBLE_BYTES) fail(`${bytes.length} bytes is too short for a prunekit model file (${PREAMBLE_BYTES}-byte preamble)`);
  if (!MAGIC.every((b, i) => bytes[i] === b)) {
    // A safetensors file opens with its header's 8-byte length and then the header's '{'.
    const checkpoint = bytes.length > 8 && bytes[8] === 0x7b && bytes.readUInt32LE(4) === 0;
    fail(`not a prunekit model file (bad magic bytes)${checkpoint ? '; it looks like a safetensors checkpoint: read those with loadCheckpoint' : ''}`);
  }
  const version = bytes.readUInt32LE(8);
  if (version !== FORMAT_VERSION) fail(`format version ${version} is not supported (this prunekit reads version ${FORMAT_VERSION})`);
  const headerLength = bytes.readUInt32LE(12);
  if (headerLength > bytes.length - PREAMBLE_BYTES || headerLength > MAX_HEADER_BYTES) {
    fail(`header length ${headerLength} exceeds the ${bytes.length - PREAMBLE_BYTES} bytes after the preamble`);
  }
  const json = bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + headerLength);
  if (crc32(json) !== bytes.readUInt32LE(16)) fail('header CRC-32 mismatch (the header is corrupt)');
  let header: ModelFileHeader;
  try {
    header = JSON.parse(json.toString('utf8')) as ModelFileHeader;
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || header.format !== 'prunekit-model') fail('header is not a prunekit model header');
  if (header.version !== version) fail(`header version ${JSON.stringify(header.version)} disagrees with the preamble's ${version}`);
  if (!Array.isArray(header.tensors)) fail("header has no 'tensors' list");
  if (typeof header.metadata !== 'object' || header.metadata === null) fail("header has no 'metadata' object");
  let implied: number;
  try {
    implied = specParameterCount(header.architecture);
  } catch (e) {
    return fail((e as Error).message);
  }
  if (!(implied >= 0) || implied * 4 > MAX_EXPANSION * bytes.length + 2 ** 20) {
    fail(`the architecture implies ${implied} parameters, more than a ${bytes.length}-byte file can describe`);
  }
  let model: Sequential;
  try {
    model = modelFromSpec(header.architecture);
  } catch (e) {
    return fail(e instanceof CorruptModelError ? e.message : `invalid architecture (${(e as Error).message})`);
  }
  const unservable = whyUnservable(model);
  if (unservable !== null) fail(`the architecture cannot serve: expected ${SERVABLE_MODEL}, found ${unservable}`);
  const params = new Map(model.parameters().map((p) => [p.name, p]));
  if (header.tensors.length !== params.size) fail(`header lists ${header.tensors.length} tensors but the architecture has ${params.size} parameters`);
  let at = PREAMBLE_BYTES + headerLength;
  const seen = new Set<string>();
  const layout: TensorLayout[] = [];
  for (const t of header.tensors) {
    const p = typeof t?.name === 'string' ? params.get(t.name) : undefined;
    if (!p) return fail(`tensor ${JSON.stringify(t?.name)} is not a parameter of the architecture`);
    if (seen.has(t.name)) fail(`tensor '${t.name}' is listed twice`);
    seen.add(t.name);
    if (!Array.isArray(t.shape) || t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i])) {
      fail(`tensor '${t.name}' has shape ${JSON.stringify(t.shape)}, the architecture says [${p.shape.join(', ')}]`);
    }
    const sectionNames = SECTIONS[t.encoding as TensorEncoding];
    if (!sectionNames || !Object.hasOwn(SECTIONS, t.encoding)) return fail(`tensor '${t.name}' has unknown encoding ${JSON.stringify(t.encoding)}`);
    const payloads: Record<string, Uint8Array> = {};
    for (const s of sectionNames) {
      const where = `tensor '${t.name}', section '${s}' (byte ${at})`;
      if (bytes.length - at < 8) fail(`${where}: the file ends before the section's length and CRC`);
      const length = bytes.readUInt32LE(at);
      if (length > bytes.length - at - 8) fail(`${where}: length ${length} exceeds the ${bytes.length - at - 8} bytes that remain`);
      const payload = bytes.subarray(at + 8, at + 8 + length);
      const stored = bytes.readUInt32LE(at + 4);
      // Earlier builds running on Node 20 wrote 0 for an empty
      // section (zlib.crc32 dropped the seed); there is no payload to corrupt.
      const legacyEmpty = length === 0 && stored === 0;
      if (!legacyEmpty && sectionCrc(t.name, s, payload) !== stored) fail(`${where}: CRC-32 mismatch (corrupt or misplaced section)`);
      payloads[s] = payload;
      at += 8 + length;
    }
    fillTensor(p, t, payloads, (msg) => fail(`tensor '${t.name}': ${msg}`));
    layout.push({ header: t, sections: Object.fromEntries(Object.entries(payloads).map(([k, v]) => [k, v.length])) });
  }
  if (at !== bytes.length) fail(`${bytes.length - at} unexpected bytes after the last section`);
  return { model, header, layout, headerBytes: PREAMBLE_BYTES + headerLength };
}

function readF32(payload: Uint8Array, count: number, what: string, fail: (m: string) => never): Float32Array {
  if (payload.length !== count * 4) fail(`${what} has ${payload.length} bytes, expected ${count * 4}`);
  const out = new Float32Array(count);
  new Uint8Array(out.buffer).set(payload);
  for (let i = 0; i < count; i++) if (!Number.isFinite(out[i])) fail(`${what} holds a non-finite value at ${i}`);
  return out;
}

function intField(t: TensorHeader, key: keyof TensorHeader, min: number, max: number, fail: (m: string) => never): number {
  const v = t[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(`'${key}' must be an integer in [${min}, ${max}], found ${JSON.stringify(v)}`);
  return v as number;
}

function fillTensor(p: Parameter, t: TensorHeader, payloads: Record<string, Uint8Array>, fail: (m: string) => never): void {
  const w = p.value.data;
  if (t.encoding === 'float32') {
    w.set(readF32(payloads.values, p.size, 'values', fail));
    p.touch();
    return;
  }
  if (typeof t.masked !== 'boolean') fail(`'masked' must be a boolean`);
  const indexBits = intField(t, 'indexBits', 1, MAX_INDEX_BITS, fail);
  const nonzero = intField(t, 'nonzero', 0, p.size, fail);
  const entries = intField(t, 'entries', nonzero, Math.max(0, payloads.indices.length * 8), fail);
  const indexLengths = unpackLengths(payloads.indexLengths, 2 ** indexBits, 'index code lengths');
  const runs = huffmanDecode(payloads.indices, indexLengths, entries, 'index stream');
  const positions = decodeRelativeIndices(runs, indexBits, p.size, nonzero, 'index stream');
  let live: Float32Array;
  if (t.encoding === 'sparse-float32') {
    live = readF32(payloads.values, nonzero, 'values', fail);
  } else {
    const k = intField(t, 'codebookSize', 0, MAX_ALPHABET, fail);
    intField(t, 'weightBits', Math.max(1, Math.ceil(Math.log2(Math.max(k, 1)))), Math.log2(MAX_ALPHABET), fail);
    if (k === 0 && nonzero > 0) fail(`${nonzero} live weights but an empty codebook`);
    const codebook = readF32(payloads.codebook, k, 'codebook', fail);
    const weightLengths = unpackLengths(payloads.weightLengths, k, 'weight code lengths');
    const symbols = huffmanDecode(payloads.weights, weightLengths, nonzero, 'weight stream');
    live = new Float32Array(nonzero);
    native.codebookGather(codebook, Int32Array.from(symbols), live);
  }
  // The architecture's layers start at zero: only live entries are written.
  for (let j = 0; j < nonzero; j++) w[positions[j]] = live[j];
  if (t.masked) {
    const mask = new Uint8Array(p.size);
    for (let j = 0; j < nonzero; j++) mask[positions[j]] = 1;
    p.setMask(mask);
  }
  p.touch();
}
