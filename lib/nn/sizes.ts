/** Values per sample that layers read and write, where their kind fixes them. */
import { Activation } from './activation';
import { Conv2D, Flatten, MaxPool2D } from './conv';
import { Dropout } from './dropout';
import { Dense } from './dense';
import { ShapeError } from '../errors';
import { Layer } from './layer';

/** Values per sample a layer reads and writes (undefined: it passes its input through, or its kind is unknown). */
export function sampleSizes(layer: Layer): { in: number; out: number } | undefined {
  const volume = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
  if (layer instanceof Dense) return { in: layer.inFeatures, out: layer.outFeatures };
  if (layer instanceof Conv2D || layer instanceof MaxPool2D) return { in: volume(layer.inputShape), out: volume(layer.outputShape) };
  return undefined;
}

/** Layers that hand on their input's values as they are (an activation keeps the count; Flatten and Dropout too). */
function passesThrough(layer: Layer): boolean {
  return layer instanceof Activation || layer instanceof Dropout || layer instanceof Flatten;
}

/**
 * Each layer reads as many values per sample as the one before it writes (a
 * model that does not could never run). A layer of another kind (a custom
 * one) may change the count: the chain is checked again from the next known layer.
 */
export function assertChained(layers: readonly Layer[]): void {
  let previous: { name: string; out: number } | undefined;
  for (const layer of layers) {
    const sizes = sampleSizes(layer);
    if (sizes === undefined) {
      if (!passesThrough(layer)) previous = undefined;
      continue;
    }
    if (previous !== undefined && sizes.in !== previous.out) {
      throw new ShapeError(`layer '${layer.name}' reads ${sizes.in} values per sample but layer '${previous.name}' before it writes ${previous.out}`);
    }
    previous = { name: layer.name, out: sizes.out };
  }
}

/** Scores per sample a model gives, where its layers' kinds fix it (undefined: a custom layer decides). */
export function outputSize(layers: readonly Layer[]): number | undefined {
  for (let i = layers.length - 1; i >= 0; i--) {
    const sizes = sampleSizes(layers[i]);
    if (sizes !== undefined) return sizes.out;
    if (!passesThrough(layers[i])) return undefined;
  }
  return undefined;
}

/** Activation values an inference pass holds per buffer at most: the native plan's rule (Plan::chunk). */
const SCRATCH_VALUES = 2 ** 22;

/**
 * Samples an inference pass runs at once, for samples of `inputSize` values:
 * the layers and the compiled plan split a batch alike, so their outputs stay
 * equal bit for bit at every batch size, and a huge batch needs no more
 * scratch than a chunk.
 */
export function inferenceChunk(layers: readonly Layer[], inputSize: number): number {
  let widest = inputSize, first = true;
  for (const layer of layers) {
    const sizes = sampleSizes(layer);
    if (!sizes) continue;
    // Input the first layer refuses is left whole, so its error names the batch's shape.
    if (first && sizes.in !== inputSize) return Infinity;
    first = false;
    widest = Math.max(widest, sizes.in, sizes.out);
  }
  return Math.max(1, Math.floor(SCRATCH_VALUES / Math.max(1, widest)));
}
