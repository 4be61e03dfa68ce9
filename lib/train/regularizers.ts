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
 */
import { ArgumentRangeError, ArgumentTypeError } from '../errors';
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

const weightsOnly = (params: Parameter[]) => params.filter((p) => p.role === 'weight');

/** [groups][indices] of a weight along an axis (rows: the first dimension). */
function groupsOf(p: Parameter, axis: GroupAxis): { count: number; stride: number; size: number; at: (g: number, k: number) => number } {
  const rows = p.shape[0];
  const perRow = p.size / rows;
  if (axis === 'rows') return { count: rows, stride: perRow, size: perRow, at: (g, k) => g * perRow + k };
  // columns: for [O, C, K, K] a column group is input channel c over all filters and kernel taps
  const channels = p.shape.length === 4 ? p.shape[1] : perRow;
  const taps = perRow / channels;
  return { count: channels, stride: 0, size: rows * taps, at: (g, k) => Math.floor(k / taps) * perRow + g * taps + (k % taps) };
}

function checkStrength(strength: number): void {
  assertInRange('strength', strength, 0, Infinity);
}

/**
 * A penalty that is a sum over individual weights: value(w) and its
 * derivative gradient(w), times `scale`.
 */
function perWeight(name: string, scale: number, value: (w: number) => number, gradient: (w: number) => number): Regularizer {
  const run = (params: Parameter[], grad: boolean) => {
    let total = 0;
    for (const p of weightsOnly(params)) {
      const w = p.value.data, g = p.grad.data;
      for (let i = 0; i < w.length; i++) {
        total += value(w[i]);
        if (grad) g[i] += scale * gradient(w[i]);
      }
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
  return checked(perWeight(`l2(${strength})`, strength, (w) => (w * w) / 2, (w) => w));
}

export function l1(strength: number): Regularizer {
  checkStrength(strength);
  return checked(perWeight(`l1(${strength})`, strength, Math.abs, Math.sign));
}

export function groupLasso(strength: number, axis: GroupAxis = 'rows'): Regularizer {
  checkStrength(strength);
  if (axis !== 'rows' && axis !== 'columns') throw new ArgumentRangeError(expected("'rows' or 'columns'", 'axis', quoted(axis)));
  const run = (params: Parameter[], grad: boolean) => {
    let total = 0;
    for (const p of weightsOnly(params)) {
      const w = p.value.data, g = p.grad.data;
      const groups = groupsOf(p, axis);
      const weight = Math.sqrt(groups.size);
      for (let gi = 0; gi < groups.count; gi++) {
        let sq = 0;
        for (let k = 0; k < groups.size; k++) sq += w[groups.at(gi, k)] ** 2;
        const norm = Math.sqrt(sq);
        total += weight * norm;
        if (grad && norm > 0) {
          const s = (strength * weight) / norm;
          for (let k = 0; k < groups.size; k++) {
            const i = groups.at(gi, k);
            g[i] += s * w[i];
          }
        }
      }
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
  let nearest: (w: number) => number;
  if ('grid' in target) {
    assertInRange('grid', target.grid, 0, Infinity, { minExclusive: true });
    nearest = (w) => Math.round(w / target.grid) * target.grid;
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
    nearest = (w) => {
      let lo = 0, hi = book.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (book[mid] < w) lo = mid + 1;
        else hi = mid;
      }
      return lo > 0 && Math.abs(book[lo - 1] - w) <= Math.abs(book[lo] - w) ? book[lo - 1] : book[lo];
    };
  }
  return checked(perWeight('quantization', strength, (w) => (w - nearest(w)) ** 2 / 2, (w) => w - nearest(w)));
}
