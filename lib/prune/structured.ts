/**
 * Structured Ln-norm pruning (Li et al., arXiv 1608.08710): whole output
 * neurons / Conv2D filters (dim 'neurons', torch dim 0) or whole input
 * features / input channels (dim 'channels', torch dim 1) with the smallest
 * Ln norm are pruned. Matches torch.nn.utils.prune.ln_structured; like it,
 * the bias is left alone (thin() folds a removed neuron's constant output
 * into the next layer). The amount counts units, not weights.
 */
import { ArgumentRangeError, ArgumentTypeError } from '../errors';
import { Parameter } from '../nn/parameter';
import { assertInRange, describe, expected, optionsObject, quoted } from '../validate';
import { PruningMethod, UnitLayout, scoreMethod } from './method';
import { Target } from './targets';

export type StructuredDim = 'neurons' | 'channels';

/** Index arithmetic for dim 0 (rows) or dim 1 (columns / input channels) of a weight. */
export function unitGeometry(shape: readonly number[], dim: StructuredDim): { units: number; each: number; index: (u: number, k: number) => number } {
  const [d0, d1] = shape;
  const inner = shape.slice(2).reduce((a, b) => a * b, 1);
  if (dim === 'neurons') {
    const per = d1 * inner;
    return { units: d0, each: per, index: (u, k) => u * per + k };
  }
  return { units: d1, each: d0 * inner, index: (u, k) => Math.floor(k / inner) * d1 * inner + u * inner + (k % inner) };
}

export function structuredLayout(dim: StructuredDim): UnitLayout {
  return {
    count: (t) => unitGeometry(t.param.shape, dim).units,
    live: (t) => {
      const g = unitGeometry(t.param.shape, dim);
      const mask = t.param.mask;
      const live = new Uint8Array(g.units);
      for (let u = 0; u < g.units; u++) {
        if (!mask) live[u] = 1;
        else for (let k = 0; k < g.each && !live[u]; k++) live[u] = mask[g.index(u, k)] ? 1 : 0;
      }
      return live;
    },
    expand: (t, unitMask) => {
      const g = unitGeometry(t.param.shape, dim);
      const mask = new Uint8Array(t.param.size);
      for (let u = 0; u < g.units; u++) if (unitMask[u]) for (let k = 0; k < g.each; k++) mask[g.index(u, k)] = 1;
      return mask;
    },
  };
}

function checkDim(dim: unknown, name = 'dim'): void {
  if (dim !== 'neurons' && dim !== 'channels') throw new ArgumentRangeError(expected("'neurons' or 'channels'", name, quoted(dim)));
}

/** The Ln norm of each unit of a weight (n ≥ 1 or Infinity). */
export function unitNorms(t: Target, dim: StructuredDim, n = 2): Float32Array {
  if (typeof t !== 'object' || t === null || !(t.param instanceof Parameter)) {
    throw new ArgumentTypeError(expected('a target ({ layer, param: Parameter })', 't', describe(t)));
  }
  checkDim(dim);
  if (n !== Infinity) assertInRange('n', n, 1, 1e6);
  const g = unitGeometry(t.param.shape, dim);
  const w = t.param.value.data;
  const out = new Float32Array(g.units);
  for (let u = 0; u < g.units; u++) {
    let acc = 0;
    for (let k = 0; k < g.each; k++) {
      const a = Math.abs(w[g.index(u, k)]);
      acc = n === Infinity ? Math.max(acc, a) : acc + a ** n;
    }
    out[u] = n === Infinity ? acc : acc ** (1 / n);
  }
  return out;
}

export function lnStructured(options: { n?: number; dim?: StructuredDim } = {}): PruningMethod {
  options = optionsObject('options', options, ['n', 'dim']);
  const n = options.n ?? 2;
  const dim = options.dim ?? 'neurons';
  if (n !== Infinity) assertInRange('options.n', n, 1, 1e6);
  checkDim(dim, 'options.dim');
  return scoreMethod({
    name: `l${n === Infinity ? 'inf' : n}-structured`,
    scores: (t) => unitNorms(t, dim, n),
    units: structuredLayout(dim),
  });
}
