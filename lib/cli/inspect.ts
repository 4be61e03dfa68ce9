/**
 * `prunekit eval` and `prunekit info`: read a compressed model file or a
 * safetensors checkpoint (told apart by the file's first bytes).
 */
import path from 'path';
import { MAGIC } from '../compress/format';
import { CompressedModel, modelFromBytes } from '../compress/model-file';
import { CorruptModelError } from '../errors';
import { readFileBytes } from '../files';
import { parseCheckpoint } from '../nn/checkpoint';
import { Sequential } from '../nn/sequential';
import { checkModelReads, datasetFor } from './pipeline';
import { formatTable } from './table';

type Loaded = { kind: 'model'; model: CompressedModel; bytes: number } | { kind: 'checkpoint'; model: Sequential; metadata: Record<string, string>; bytes: number };

function load(file: string): Loaded {
  const bytes = readFileBytes(file);
  const isModelFile = bytes.length >= MAGIC.length && MAGIC.every((b, i) => bytes[i] === b);
  // Decoded from the bytes already read, under the file's name (errors say which file).
  if (isModelFile) return { kind: 'model', model: modelFromBytes(bytes, path.basename(file)), bytes: bytes.length };
  try {
    const { model, metadata } = parseCheckpoint(bytes, path.basename(file));
    return { kind: 'checkpoint', model, metadata, bytes: bytes.length };
  } catch (error) {
    // Without the model file's magic bytes it was read as a checkpoint; a .prk name says the user meant a model file.
    if (error instanceof CorruptModelError && /\.prk$/i.test(file)) {
      throw new CorruptModelError(`${path.basename(file)}: not a prunekit model file (bad magic bytes), nor a safetensors checkpoint`);
    }
    throw error;
  }
}

function datasetOf(loaded: Loaded): string | undefined {
  const recorded = loaded.kind === 'model' ? loaded.model.metadata.dataset : loaded.metadata.dataset;
  return typeof recorded === 'string' ? recorded : undefined;
}

export function evalCommand(file: string, flags: { data?: string }): { accuracy: number; samples: number; loss: number; dataset: string } {
  const loaded = load(file);
  const dataset = flags.data ?? datasetOf(loaded) ?? 'mnist';
  const { test } = datasetFor(dataset);
  const { model } = loaded;
  checkModelReads(model, test, path.basename(file));
  const evaluation = model.evaluate(test);
  return { accuracy: evaluation.accuracy, samples: evaluation.samples, loss: evaluation.loss, dataset };
}

export interface InfoLayer {
  name: string;
  shape: number[];
  nonzero: number;
  bits: number;
  encoding: string;
  bytes: number;
}

export function infoCommand(file: string): { layers: InfoLayer[]; fileBytes: number; kind: string; metadata: Record<string, unknown> } {
  const loaded = load(file);
  if (loaded.kind === 'model') {
    const { header, layout } = loaded.model;
    // Counted in the decoded values, as for a checkpoint: a stored entry may be zero, and a float32 tensor may hold zeros.
    const decoded = new Map(loaded.model.model.parameters().map((p) => [p.name, p]));
    const layers = layout.map(({ header: t, sections }) => ({
      name: t.name, shape: t.shape, nonzero: decoded.get(t.name)?.nonzero() ?? t.nonzero ?? t.shape.reduce((a, b) => a * b, 1),
      bits: t.encoding === 'shared-sparse' ? t.weightBits ?? 32 : 32, encoding: t.encoding,
      bytes: Object.values(sections).reduce((a, b) => a + b, 0),
    }));
    return { layers, fileBytes: loaded.bytes, kind: `prunekit model file, format version ${header.version}`, metadata: header.metadata };
  }
  const layers = loaded.model.parameters().map((p) => ({
    name: p.name, shape: [...p.shape], nonzero: p.nonzero(), bits: 32, encoding: p.mask ? 'float32 + mask' : 'float32', bytes: p.size * 4 + (p.mask ? p.size : 0),
  }));
  return { layers, fileBytes: loaded.bytes, kind: 'safetensors checkpoint', metadata: loaded.metadata };
}

export function formatInfo(file: string, info: ReturnType<typeof infoCommand>): string {
  const meta = Object.entries(info.metadata)
    .filter(([k]) => k !== 'recipe')
    .map(([k, v]) => `  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  const rows = info.layers.map((l) => {
    const size = l.shape.reduce((a, b) => a * b, 1);
    return [l.name, l.shape.join('×'), l.encoding, l.bits.toString(), l.nonzero.toLocaleString('en-US'), `${((1 - l.nonzero / size) * 100).toFixed(1)}%`, l.bytes.toLocaleString('en-US')];
  });
  return `${file}: ${info.kind}, ${info.fileBytes.toLocaleString('en-US')} bytes\n${meta.join('\n')}${meta.length ? '\n' : ''}\n`
    + formatTable(['tensor', 'shape', 'encoding', 'bits', 'non-zero', 'sparsity', 'bytes'], rows);
}
