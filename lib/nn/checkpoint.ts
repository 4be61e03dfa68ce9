/**
 * Checkpoints of dense models as safetensors, so Python's `safetensors` can
 * read the weights: an 8-byte little-endian header length, a JSON header
 * (tensor name -> dtype, shape, data_offsets; __metadata__ -> strings), then
 * the raw little-endian data. prunekit stores each parameter as F32 under its
 * name, its mask (if any) as U8 under "<name>.mask", and the architecture as
 * JSON in __metadata__.prunekit_architecture.
 *
 * Reading checks the header length against the file size before allocating,
 * then every tensor's dtype, shape and offsets against the data.
 */
import { MAGIC, VERSION } from '../version';
import { ArgumentRangeError, ArgumentTypeError, CorruptModelError, NonFiniteError } from '../errors';
import { firstNonFinite } from '../kernels/elementwise';
import { assertObject, assertString, assertUint8Array, describe, expected } from '../validate';
import { bytesOf, readFileBytes, writeFileAtomic } from '../files';
import { Sequential, assertModel } from './sequential';
import { assertSavableNames, modelFromSpec, specParameterCount } from './spec';

const MAX_HEADER_BYTES = 100 * 2 ** 20;
const DTYPE_BYTES: Record<string, number> = { F32: 4, U8: 1 };

interface TensorEntry {
  dtype: 'F32' | 'U8';
  shape: number[];
  bytes: Uint8Array;
}

export interface Checkpoint {
  model: Sequential;
  metadata: Record<string, string>;
}


function assertMetadata(metadata: unknown): asserts metadata is Record<string, string> {
  assertObject('metadata', metadata, 'an object of strings');
  for (const [key, value] of Object.entries(metadata)) {
    // safetensors metadata maps strings to strings
    if (typeof value !== 'string') throw new ArgumentTypeError(expected('a string', `metadata.${key}`, describe(value)));
    // The file's own keys: written over, then left out when read, the caller's value would vanish.
    if (key === 'format' || key.startsWith('prunekit_')) {
      throw new ArgumentRangeError(`metadata.${key}: 'format' and 'prunekit_…' keys are the checkpoint's own; choose another name`);
    }
  }
}

export function serializeCheckpoint(model: Sequential, metadata: Record<string, string> = {}): Buffer {
  assertModel('model', model);
  assertMetadata(metadata);
  assertSavableNames(model);
  const entries: [string, TensorEntry][] = [];
  for (const p of model.parameters()) {
    const v = p.value.data;
    const bad = firstNonFinite(v);
    // parseCheckpoint refuses them: never write a file that cannot be read back.
    if (bad >= 0) throw new NonFiniteError(`cannot save ${p.name}: it holds ${v[bad]} at index ${bad}; a checkpoint holds finite values only`);
    entries.push([p.name, { dtype: 'F32', shape: [...p.shape], bytes: new Uint8Array(v.buffer, v.byteOffset, v.byteLength) }]);
    if (p.mask) entries.push([`${p.name}.mask`, { dtype: 'U8', shape: [...p.shape], bytes: p.mask }]);
  }
  const header: Record<string, unknown> = {
    __metadata__: { ...metadata, format: 'pt', prunekit_version: VERSION, prunekit_architecture: JSON.stringify(model.spec()) },
  };
  let offset = 0;
  for (const [name, e] of entries) {
    header[name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + e.bytes.length] };
    offset += e.bytes.length;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8); // align the data to 8 bytes
  const head = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + head.length + offset);
  out.writeBigUInt64LE(BigInt(head.length), 0);
  head.copy(out, 8);
  let at = 8 + head.length;
  for (const [, e] of entries) {
    out.set(e.bytes, at);
    at += e.bytes.length;
  }
  return out;
}

export function parseCheckpoint(bytes: Uint8Array, name = 'checkpoint'): Checkpoint {
  assertUint8Array('bytes', bytes);
  assertString('name', name);
  const buf = bytesOf(bytes);
  if (buf.length === 0) throw new CorruptModelError(`${name}: the file is empty`);
  if (buf.length >= MAGIC.length && MAGIC.every((b, i) => buf[i] === b)) {
    throw new CorruptModelError(`${name}: a prunekit model file (made by compress or run), not a safetensors checkpoint (made by train or prune)`);
  }
  if (buf.length < 8) throw new CorruptModelError(`${name}: ${buf.length} bytes is too short for a safetensors file`);
  const headerLength = buf.readBigUInt64LE(0);
  if (headerLength > BigInt(buf.length - 8) || headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw new CorruptModelError(`${name}: header length ${headerLength} exceeds the ${buf.length - 8} bytes after it`);
  }
  const dataStart = 8 + Number(headerLength);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buf.subarray(8, dataStart).toString('utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new CorruptModelError(`${name}: header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new CorruptModelError(`${name}: header is not a JSON object`);
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  if (typeof metadata !== 'object' || Object.values(metadata).some((v) => typeof v !== 'string')) {
    throw new CorruptModelError(`${name}: __metadata__ must map names to strings`);
  }
  const dataLength = buf.length - dataStart;
  const tensors = new Map<string, TensorEntry>();
  for (const [key, raw] of Object.entries(header)) {
    if (key === '__metadata__') continue;
    const t = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const size = typeof t?.dtype === 'string' ? DTYPE_BYTES[t.dtype] : undefined;
    if (size === undefined) throw new CorruptModelError(`${name}: tensor '${key}' has unsupported dtype ${JSON.stringify(t?.dtype)} (prunekit reads F32 and U8)`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new CorruptModelError(`${name}: tensor '${key}' has an invalid shape ${JSON.stringify(t.shape)}`);
    }
    const offsets = t.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
      throw new CorruptModelError(`${name}: tensor '${key}' has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as number[];
    const count = (t.shape as number[]).reduce((a, b) => a * b, 1);
    if (end < begin || end > dataLength) {
      throw new CorruptModelError(`${name}: tensor '${key}' spans bytes [${begin}, ${end}) of a ${dataLength}-byte data section`);
    }
    if (end - begin !== count * size) {
      throw new CorruptModelError(`${name}: tensor '${key}' of shape [${(t.shape as number[]).join(', ')}] needs ${count * size} bytes but spans ${end - begin}`);
    }
    const bytes = new Uint8Array(end - begin);
    bytes.set(buf.subarray(dataStart + begin, dataStart + end));
    tensors.set(key, { dtype: t.dtype as 'F32' | 'U8', shape: t.shape as number[], bytes });
  }
  const architecture = metadata.prunekit_architecture;
  if (typeof architecture !== 'string') throw new CorruptModelError(`${name}: no prunekit architecture in __metadata__ (not a prunekit checkpoint)`);
  let specs: unknown;
  try {
    specs = JSON.parse(architecture);
  } catch (e) {
    throw new CorruptModelError(`${name}: the architecture is not valid JSON (${(e as Error).message})`);
  }
  let stored = 0;
  for (const t of tensors.values()) if (t.dtype === 'F32') stored += t.bytes.length / 4;
  const implied = specParameterCount(specs);
  if (implied !== stored) {
    throw new CorruptModelError(`${name}: the architecture implies ${implied} parameters but the file holds ${stored}`);
  }
  const model = modelFromSpec(specs);
  for (const p of model.parameters()) {
    const t = tensors.get(p.name);
    if (!t) throw new CorruptModelError(`${name}: tensor '${p.name}' is missing`);
    if (t.dtype !== 'F32' || t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i])) {
      throw new CorruptModelError(`${name}: tensor '${p.name}' is ${t.dtype} [${t.shape.join(', ')}], expected F32 [${p.shape.join(', ')}]`);
    }
    new Uint8Array(p.value.data.buffer, p.value.data.byteOffset, p.value.data.byteLength).set(t.bytes);
    // A NaN or infinite weight would give every prediction as NaN (evaluated as a made-up accuracy).
    const bad = firstNonFinite(p.value.data);
    if (bad >= 0) throw new CorruptModelError(`${name}: tensor '${p.name}' holds ${p.value.data[bad]} at index ${bad}`);
    const m = tensors.get(`${p.name}.mask`);
    if (m) {
      if (m.dtype !== 'U8' || m.bytes.length !== p.size) throw new CorruptModelError(`${name}: mask '${p.name}.mask' does not match its parameter`);
      p.setMask(m.bytes);
    }
    p.touch();
  }
  const user = Object.fromEntries(Object.entries(metadata).filter(([k]) => !k.startsWith('prunekit_') && k !== 'format'));
  return { model, metadata: user };
}

/** Writes atomically: a temporary file in the same directory, then a rename. */
export function saveCheckpoint(model: Sequential, file: string, metadata: Record<string, string> = {}): void {
  writeFileAtomic(file, serializeCheckpoint(model, metadata), 'the checkpoint');
}

export function loadCheckpoint(file: string): Checkpoint {
  return parseCheckpoint(readFileBytes(file), file);
}
