/**
 * Where the bytes go, per layer and per Deep Compression stage (the paper's
 * Table 2), computed from a written file's layout:
 *   dense      every parameter as float32;
 *   pruned     live weights as float32 plus their relative indices at indexBits;
 *   quantized  live weights as weightBits-bit codebook indices, plus the codebook and the relative indices;
 *   huffman    the Huffman-coded sections as written (code lengths included).
 * Biases are float32 at every stage. Ratios divide the dense bytes by a
 * stage's bytes; the file ratio divides them by the whole file (header,
 * section frames and all).
 */
import { ArgumentTypeError } from '../errors';
import { layerOfName } from '../prune/targets';
import { assertInteger, assertObject, describe, expected } from '../validate';
import { TensorLayout } from './format';

export interface StageBytes {
  dense: number;
  pruned: number;
  quantized: number;
  huffman: number;
}

export interface LayerCompression {
  layer: string;
  parameters: number;
  weights: number;
  /** Live weights (stored entries). */
  nonzero: number;
  /** nonzero / weights. */
  kept: number;
  /** Bits per weight before / after Huffman coding (32 for unquantized weights). */
  weightBits: number;
  weightBitsHuffman: number;
  /** Bits per relative index (fillers included) before / after Huffman coding. */
  indexBits: number;
  indexBitsHuffman: number;
  bytes: StageBytes;
  /** dense / huffman bytes of this layer. */
  compression: number;
}

export interface CompressionReport {
  layers: LayerCompression[];
  total: StageBytes;
  fileBytes: number;
  headerBytes: number;
  /** dense bytes ÷ each stage's bytes; `file` uses the whole file's size. */
  ratio: { pruned: number; quantized: number; huffman: number; file: number };
}

export function compressionReport(layout: readonly TensorLayout[], fileBytes: number, headerBytes: number): CompressionReport {
  if (!Array.isArray(layout as unknown)) throw new ArgumentTypeError(expected('an array of tensor layouts (encodeModel().layout)', 'layout', describe(layout)));
  layout.forEach((l: unknown, i) => {
    assertObject(`layout[${i}]`, l, 'a tensor layout ({ header, sections })');
    const { header, sections } = l as TensorLayout;
    assertObject(`layout[${i}].header`, header, 'a tensor header');
    assertObject(`layout[${i}].sections`, sections, 'an object of section sizes');
    if (typeof header.name !== 'string') throw new ArgumentTypeError(expected('a tensor name', `layout[${i}].header.name`, describe(header.name)));
    if (!Array.isArray(header.shape)) throw new ArgumentTypeError(expected('an array of dimensions', `layout[${i}].header.shape`, describe(header.shape)));
  });
  assertInteger('fileBytes', fileBytes, 0);
  assertInteger('headerBytes', headerBytes, 0, fileBytes);
  const byLayer = new Map<string, LayerCompression>();
  for (const { header: t, sections } of layout) {
    const layer = layerOfName(t.name);
    const size = t.shape.reduce((a, b) => a * b, 1);
    let row = byLayer.get(layer);
    if (!row) {
      row = {
        layer, parameters: 0, weights: 0, nonzero: 0, kept: 1, weightBits: 32, weightBitsHuffman: 32, indexBits: 0, indexBitsHuffman: 0,
        bytes: { dense: 0, pruned: 0, quantized: 0, huffman: 0 }, compression: 1,
      };
      byLayer.set(layer, row);
    }
    row.parameters += size;
    row.bytes.dense += size * 4;
    const payload = Object.values(sections).reduce((a, b) => a + b, 0);
    if (t.encoding === 'float32') {
      for (const k of ['pruned', 'quantized', 'huffman'] as const) row.bytes[k] += size * 4;
      continue;
    }
    const nonzero = t.nonzero ?? 0, entries = t.entries ?? 0, indexBits = t.indexBits ?? 0;
    const indexBytes = Math.ceil((entries * indexBits) / 8);
    row.weights += size;
    row.nonzero += nonzero;
    row.kept = size ? nonzero / size : 0;
    row.indexBits = indexBits;
    row.indexBitsHuffman = entries ? (sections.indices * 8) / entries : 0;
    row.bytes.pruned += nonzero * 4 + indexBytes;
    if (t.encoding === 'shared-sparse') {
      row.weightBits = t.weightBits ?? 0;
      row.weightBitsHuffman = nonzero ? (sections.weights * 8) / nonzero : 0;
      row.bytes.quantized += Math.ceil((nonzero * row.weightBits) / 8) + (t.codebookSize ?? 0) * 4 + indexBytes;
    } else {
      row.bytes.quantized += nonzero * 4 + indexBytes;
    }
    row.bytes.huffman += payload;
  }
  const layers = [...byLayer.values()];
  for (const r of layers) r.compression = r.bytes.huffman ? r.bytes.dense / r.bytes.huffman : Infinity;
  const total: StageBytes = { dense: 0, pruned: 0, quantized: 0, huffman: 0 };
  for (const r of layers) for (const k of Object.keys(total) as (keyof StageBytes)[]) total[k] += r.bytes[k];
  return {
    layers,
    total,
    fileBytes,
    headerBytes,
    ratio: {
      pruned: total.dense / total.pruned,
      quantized: total.dense / total.quantized,
      huffman: total.dense / total.huffman,
      file: total.dense / fileBytes,
    },
  };
}
