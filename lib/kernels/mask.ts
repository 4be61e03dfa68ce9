/**
 * Masks: a Uint8Array parallel to the weights, 0 = pruned, non-zero = kept.
 * Pruned means mask 0 and weight exactly 0, through training: the masked SGD
 * step zeroes pruned weights and their momentum.
 */
import { ArgumentRangeError } from '../errors';
import {
  assertBoolean, assertDisjoint, assertFloat32Array, assertInRange, assertLength, assertObject, assertUint8Array,
  expected, optionsObject,
} from '../validate';
import { native } from '../native';

/** weights[i] = 0 wherever mask[i] == 0 (in place). */
export function applyMask(weights: Float32Array, mask: Uint8Array): void {
  assertFloat32Array('weights', weights);
  assertUint8Array('mask', mask);
  assertLength('mask', mask.length, weights.length);
  native.applyMask(weights, mask);
}

export interface SgdParameter {
  weights: Float32Array;
  grad: Float32Array;
  /** Momentum buffer (required when momentum > 0); updated in place. */
  velocity?: Float32Array;
  mask?: Uint8Array;
}

export interface SgdOptions {
  lr: number;
  momentum?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/**
 * One SGD step with PyTorch's semantics (dampening 0):
 * g = grad + weightDecay·w; v = momentum·v + g; w -= lr·(nesterov ? g + momentum·v : v).
 * Where the mask is 0, the weight and its velocity become exactly 0.
 */
export function maskedSgdStep(param: SgdParameter, options: SgdOptions): void {
  assertObject('param', param, 'an object { weights, grad, velocity?, mask? }');
  const { weights, grad, velocity, mask } = param;
  const { lr, momentum = 0, weightDecay = 0, nesterov = false } = optionsObject('options', options, ['lr', 'momentum', 'weightDecay', 'nesterov']);
  assertFloat32Array('param.weights', weights);
  assertFloat32Array('param.grad', grad);
  assertLength('param.grad', grad.length, weights.length);
  assertInRange('options.lr', lr, 0, Infinity, { minExclusive: true });
  assertInRange('options.momentum', momentum, 0, 1, { maxExclusive: true });
  assertInRange('options.weightDecay', weightDecay, 0, Infinity);
  assertBoolean('options.nesterov', nesterov);
  if (nesterov && momentum === 0) {
    throw new ArgumentRangeError(expected('momentum > 0 with nesterov', 'options.momentum', 'the number 0'));
  }
  if (mask !== undefined) {
    assertUint8Array('param.mask', mask);
    assertLength('param.mask', mask.length, weights.length);
  }
  if (momentum > 0) {
    assertFloat32Array('param.velocity', velocity);
    assertLength('param.velocity', velocity.length, weights.length);
    assertDisjoint('param.velocity', velocity, 'param.weights', weights);
    assertDisjoint('param.velocity', velocity, 'param.grad', grad);
  }
  assertDisjoint('param.weights', weights, 'param.grad', grad);
  native.sgdMasked(weights, velocity ?? null, grad, mask ?? null, lr, momentum, weightDecay, nesterov);
}

/** Entries of a mask that are 0. */
export function countZeros(mask: Uint8Array): number {
  assertUint8Array('mask', mask);
  return native.countZeros(mask);
}

/** mask[i] = mask[i] && other[i] (as 0/1), in place; returns the zeros of the result. */
export function maskAnd(mask: Uint8Array, other: Uint8Array): number {
  assertUint8Array('mask', mask);
  assertUint8Array('other', other);
  assertLength('other', other.length, mask.length);
  return native.maskAnd(mask, other);
}
