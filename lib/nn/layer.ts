/**
 * The layer contract. forward() keeps what backward() needs; backward()
 * writes (overwrites) the parameters' gradients for the batch and returns
 * the gradient with respect to the layer's input. Activations are
 * [batch, features].
 */
import { Tensor } from '../tensor';
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
