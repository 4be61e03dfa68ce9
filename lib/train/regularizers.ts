/**
 * Regularizers: loss terms with gradients, added to the parameters'
 * gradients after back-propagation. By default they act on weights only
 * (not biases). Penalties (λ is `strength`):
 *   l2                (λ/2) Σ w²                        gradient λ·w
 *   l1                λ Σ |w|                           gradient λ·sign(w)
 *   groupLasso        λ Σ_g √|g| · ‖w_g‖₂                 (Yuan & Lin 2006) over neuron or filter groups
 *   sparseGroupLasso  (1−α)·groupLasso + α·l1           (Simon et al. 2013; Alvarez & Salzmann, arXiv 1611.06321)
 *   quantization      (λ/2) Σ (w − q(w))², q = nearest grid point or codebook value
 *                     (pulls weights toward values that quantize without loss)
 * Groups: for a Dense weight [out, in], 'rows' are output neurons (incoming
 * weights) and 'columns' input neurons (outgoing weights); for a Conv2D
 * weight [O, C, K, K], 'rows' are filters and 'columns' input channels.
 * Ties: a grid rounds half up (as Math.round); a codebook takes the lower of
 * two equally near entries. The passes run natively and threaded
 * (native/kernels/regularize.cc), the same on any thread count.
 */
import { ArgumentRangeError, ArgumentTypeError } from '../errors';
import { applyMask, countZeros } from '../kernels/mask';
import { native } from '../native';
import { Parameter } from '../nn/parameter';
import { assertInRange, describe, expected, isArrayOrTypedArray, quoted } from '../validate';
import { assertParameters } from './optimizer';

export interface Regularizer {
  readonly name: string;
  /** The penalty at the parameters' current values. */
  penalty(params: Parameter[]): number;
  /** Adds the penalty's gradient to each parameter's grad; returns the penalty. */
  addGradient(params: Parameter[]): number;
}

export type GroupAxis = 'rows' | 'columns';

/** The native per-weight penalties (native/kernels/regularize.h). */
const PENALTY = { l2: 0, l1: 1, grid: 2 } as const;

const weightsOnly = (params: Parameter[]) => params.filter((p) => p.role === 'weight');

/**
 * A weight as [rows, channels, taps] for its groups: a Dense weight [out, in]
 * is [out, in, 1]; a Conv2D weight [O, C, K, K] is [O, C, K·K]; anything
 * else has one channel per value of a row.
 */
function groupShape(p: Parameter): [number, number, number] {
  const rows = p.shape[0];
  const perRow = rows > 0 ? p.size / rows : 0;
  const channels = p.shape.length === 4 ? p.shape[1] : perRow;
  return [rows, channels, channels > 0 ? perRow / channels : 0];
}

function checkStrength(strength: number): void {
  assertInRange('strength', strength, 0, Infinity, { maxExclusive: true });
}

/**
 * A penalty summed over each weight's values by a native pass that returns
 * the unscaled penalty and, for addGradient, adds `scale` times its
 * derivative to the gradient.
 */
function perWeight(name: string, scale: number, pass: (grad: Float32Array | null, w: Float32Array) => number): Regularizer {
  // A pruned weight is held at 0 by its mask. Where 0 itself is penalised (a
  // codebook without 0), its term and gradient are left out: counted, they
  // inflated the penalty and a clipping norm, and reached afterBackward hooks.
  const atZero = pass(null, new Float32Array(1));
  const run = (params: Parameter[], grad: boolean) => {
    let total = 0;
    for (const p of weightsOnly(params)) {
      let term = pass(grad ? p.grad.data : null, p.value.data);
      if (atZero !== 0 && p.mask) {
        term = Math.max(0, term - atZero * countZeros(p.mask));
        if (grad) applyMask(p.grad.data, p.mask);
      }
      total += term;
    }
    return scale * total;
  };
  return { name, penalty: (ps) => run(ps, false), addGradient: (ps) => run(ps, true) };
}

/** The regularizer with its params argument checked on every call. */
function checked(r: Regularizer): Regularizer {
  return {
    name: r.name,
    penalty: (ps) => (assertParameters('params', ps), r.penalty(ps)),
    addGradient: (ps) => (assertParameters('params', ps), r.addGradient(ps)),
  };
}

export function l2(strength: number): Regularizer {
  checkStrength(strength);
  return checked(perWeight(`l2(${strength})`, strength, (g, w) => native.penalty(g, w, PENALTY.l2, strength, 1)));
}

export function l1(strength: number): Regularizer {
  checkStrength(strength);
  return checked(perWeight(`l1(${strength})`, strength, (g, w) => native.penalty(g, w, PENALTY.l1, strength, 1)));
}

export function groupLasso(strength: number, axis: GroupAxis = 'rows'): Regularizer {
  checkStrength(strength);
  if (axis !== 'rows' && axis !== 'columns') throw new ArgumentRangeError(expected("'rows' or 'columns'", 'axis', quoted(axis)));
  const run = (params: Parameter[], grad: boolean) => {
    let total = 0;
    for (const p of weightsOnly(params)) {
      const [rows, channels, taps] = groupShape(p);
      total += native.groupLasso(grad ? p.grad.data : null, p.value.data, rows, channels, taps, axis === 'columns', strength);
    }
    return strength * total;
  };
  return checked({ name: `groupLasso(${strength}, ${axis})`, penalty: (ps) => run(ps, false), addGradient: (ps) => run(ps, true) });
}

export function sparseGroupLasso(strength: number, alpha: number, axis: GroupAxis = 'rows'): Regularizer {
  checkStrength(strength);
  assertInRange('alpha', alpha, 0, 1);
  const group = groupLasso((1 - alpha) * strength, axis), lasso = l1(alpha * strength);
  return {
    name: `sparseGroupLasso(${strength}, ${alpha}, ${axis})`,
    penalty: (ps) => group.penalty(ps) + lasso.penalty(ps),
    addGradient: (ps) => group.addGradient(ps) + lasso.addGradient(ps),
  };
}

export type QuantizationTarget = { grid: number } | { codebook: readonly number[] };

export function quantization(strength: number, target: QuantizationTarget): Regularizer {
  checkStrength(strength);
  if (typeof target !== 'object' || target === null || !('grid' in target || 'codebook' in target)) {
    throw new ArgumentTypeError(expected('{ grid } or { codebook }', 'target', describe(target)));
  }
  let pass: (grad: Float32Array | null, w: Float32Array) => number;
  if ('grid' in target) {
    const step = target.grid;
    assertInRange('grid', step, 0, Infinity, { minExclusive: true });
    pass = (g, w) => native.penalty(g, w, PENALTY.grid, strength, step);
  } else {
    if (!isArrayOrTypedArray(target.codebook)) {
      throw new ArgumentTypeError(expected('an array of numbers', 'codebook', describe(target.codebook)));
    }
    Array.from(target.codebook).forEach((v, i) => {
      if (typeof v !== 'number') throw new ArgumentTypeError(expected('a number', `codebook[${i}]`, describe(v)));
    });
    const book = Float64Array.from(target.codebook).sort();
    if (book.length === 0 || book.some((v) => !Number.isFinite(v))) {
      throw new ArgumentRangeError(expected('a non-empty list of finite values', 'codebook', describe(target.codebook)));
    }
    pass = (g, w) => native.penaltyCodebook(g, w, strength, book);
  }
  return checked(perWeight('quantization', strength, pass));
}
