/** What the trainer needs of an optimizer, and gradient-norm clipping. */
import { firstNonFinite } from '../kernels/elementwise';
import { native } from '../native';
import { Parameter } from '../nn/parameter';
import { ArgumentRangeError, ArgumentTypeError, NonFiniteError } from '../errors';
import { assertInRange, describe, expected } from '../validate';

export interface Optimizer {
  /** The current learning rate (schedules set it). */
  lr: number;
  readonly params: Parameter[];
  step(): void;
}

/** An array of Parameter objects, as model.parameters() returns. */
export function assertParameters(name: string, params: unknown): asserts params is Parameter[] {
  if (!Array.isArray(params)) throw new ArgumentTypeError(expected('an array of Parameters (model.parameters())', name, describe(params)));
  params.forEach((p, i) => {
    if (!(p instanceof Parameter)) throw new ArgumentTypeError(expected('a Parameter', `${name}[${i}]`, describe(p)));
    // Listed twice, a parameter would be stepped twice per batch.
    const first = params.indexOf(p);
    if (first < i) throw new ArgumentRangeError(`${name}[${i}] is ${name}[${first}] (${p.name}) again; list each parameter once`);
  });
}

/**
 * Throws NonFiniteError before a step changes anything when a gradient holds
 * NaN or an infinity: the update would write it into the weights and the
 * optimizer's state without a sound.
 */
export function assertFiniteGradients(params: Parameter[], who: string): void {
  for (const p of params) {
    const at = firstNonFinite(p.grad.data);
    if (at >= 0) throw new NonFiniteError(`${who}: the gradient of ${p.name} is ${p.grad.data[at]} at index ${at}; no weight was changed`);
  }
}

/**
 * Scales all gradients so their global L2 norm is at most maxNorm
 * (torch.nn.utils.clip_grad_norm_). Returns the norm before clipping. A
 * non-finite norm (a NaN or infinite gradient) leaves every gradient as it
 * is, for the optimizer's check to name the value.
 */
export function clipGradNorm(params: Parameter[], maxNorm: number): number {
  assertParameters('params', params);
  assertInRange('maxNorm', maxNorm, 0, Infinity, { minExclusive: true });
  let sq = 0;
  for (const p of params) sq += native.sumSquares(p.grad.data);
  const norm = Math.sqrt(sq);
  if (Number.isFinite(norm) && norm > maxNorm) {
    const s = maxNorm / (norm + 1e-6);
    for (const p of params) native.scale(p.grad.data, s);
  }
  return norm;
}
