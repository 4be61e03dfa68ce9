/**
 * The layer contract. forward() keeps what backward() needs; backward()
 * writes (overwrites) the parameters' gradients for the batch and returns
 * the gradient with respect to the layer's input. Activations are
 * [batch, features].
 */
import { ArgumentRangeError, ArgumentTypeError } from '../errors';
import { Tensor, assertTensor } from '../tensor';
import { assertShape, describe, expected } from '../validate';
import { Parameter } from './parameter';

/**
 * 'train' keeps what backward() needs; 'eval' returns a fresh output the
 * caller may keep; 'infer' is 'eval' whose output may be a buffer the layer
 * overwrites on its next 'infer' call (Sequential passes it to the layers
 * whose outputs it consumes itself: small typed arrays cost microseconds each).
 */
export type Mode = 'train' | 'eval' | 'infer';

export interface LayerSpec {
  type: string;
  [key: string]: unknown;
}

export interface Layer {
  readonly name: string;
  forward(x: Tensor, mode: Mode): Tensor;
  /**
   * needInputGrad false (the first layer of a network) lets a layer skip
   * computing the gradient for its input; it then returns an empty tensor.
   */
  backward(dy: Tensor, needInputGrad?: boolean): Tensor;
  parameters(): Parameter[];
  /** The architecture as JSON (no weights). */
  spec(): LayerSpec;
}

/** A layer's name: the caller's string (saved models may hold '') or the fallback. */
export function layerName(name: unknown, fallback: string, field = 'options.name'): string {
  if (name === undefined) return fallback;
  if (typeof name !== 'string') throw new ArgumentTypeError(expected('a string', field, describe(name)));
  return name;
}

/**
 * Most weights one layer may hold (2^28, 1 GiB of float32): past that,
 * building and initialising it would take minutes, and this library is for
 * small networks.
 */
export const MAX_LAYER_WEIGHTS = 2 ** 28;

export function assertLayerWeights(what: string, count: number): void {
  if (count > MAX_LAYER_WEIGHTS) throw new ArgumentRangeError(expected(`at most 2^28 weights (${what})`, 'layer size', String(count)));
}

/** dy of backward(): a tensor shaped as the output of the last training-mode forward pass. */
export function assertOutputGradient(layer: string, dy: unknown, outputShape: readonly number[]): asserts dy is Tensor {
  assertTensor(`dy of ${layer}`, dy);
  assertShape(`dy of ${layer}`, dy.shape, outputShape);
}
