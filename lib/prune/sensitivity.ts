/**
 * Sensitivity analysis and automatic per-layer sparsity. sensitivity()
 * prunes one layer at a time (the others untouched) to each sparsity and
 * records the accuracy (Han et al. 2015, Fig. 6). allocateSparsity() spends
 * a global budget across layers greedily: it repeatedly raises the layer
 * whose next step costs the least accuracy per weight removed (the seeds'
 * search over per-layer rates), which at the same budget loses less than a
 * uniform allocation whenever layers differ in sensitivity (bench/prune
 * measures it against uniform).
 */
import { ArgumentRangeError, ArgumentTypeError } from '../errors';
import { Dataset, checkDataset } from '../data/dataset';
import { countZeros } from '../kernels/mask';
import { Sequential } from '../nn/sequential';
import { assertInRange, assertInteger, assertObject, describe, expected, optionsObject } from '../validate';
import { assertMethod } from './checks';
import { magnitude } from './magnitude';
import { PruningMethod } from './method';
import { restore, snapshot } from './snapshot';
import { TARGET_OPTIONS, TargetOptions, assertSparsity, selectTargets } from './targets';

export interface LayerSensitivity {
  layer: string;
  size: number;
  /**
   * Accuracy with only this layer pruned, per sparsity. The first point is
   * the baseline at the layer's current sparsity (0 unless it already has a
   * mask); levels at or below that are not measured (pruning to them would
   * change nothing).
   */
  curve: { sparsity: number; accuracy: number }[];
}

export const DEFAULT_SENSITIVITY_LEVELS = [0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98];

export function sensitivity(
  model: Sequential,
  data: Dataset,
  options: TargetOptions & { sparsities?: number[]; method?: PruningMethod } = {},
): LayerSensitivity[] {
  options = optionsObject('options', options, [...TARGET_OPTIONS, 'sparsities', 'method']);
  const given = options.sparsities ?? DEFAULT_SENSITIVITY_LEVELS;
  if (!Array.isArray(given)) throw new ArgumentTypeError(expected('an array of sparsities', 'options.sparsities', describe(given)));
  given.forEach((s, i) => assertSparsity(`options.sparsities[${i}]`, s));
  const levels = [...given].sort((a, b) => a - b);
  const method = options.method ?? magnitude();
  assertMethod('options.method', method);
  checkDataset(data, 'data');
  const targets = selectTargets(model, options);
  const saved = snapshot(model);
  const baseline = model.evaluate(data).accuracy;
  try {
    return targets.map((t) => {
      const current = t.param.mask ? countZeros(t.param.mask) / t.param.size : 0;
      const curve = [{ sparsity: current, accuracy: baseline }];
      for (const s of levels.filter((level) => level > current)) {
        method.prune([t], s);
        curve.push({ sparsity: s, accuracy: model.evaluate(data).accuracy });
        restore(model, saved);
      }
      return { layer: t.param.name, size: t.param.size, curve };
    });
  } finally {
    restore(model, saved);
  }
}

export type SparsityBudget = { sparsity: number } | { parameters: number };

/** A curve as sensitivity() gives it: anything else would make the allocation silently wrong. */
function checkCurve(name: string, c: unknown): void {
  assertObject(name, c, 'a sensitivity curve ({ layer, size, curve })');
  const { layer, size, curve } = c as LayerSensitivity;
  if (typeof layer !== 'string') throw new ArgumentTypeError(expected('a layer name', `${name}.layer`, describe(layer)));
  assertInteger(`${name}.size`, size, 0);
  if (!Array.isArray(curve)) throw new ArgumentTypeError(expected('an array of { sparsity, accuracy }', `${name}.curve`, describe(curve)));
  curve.forEach((p, j) => {
    assertObject(`${name}.curve[${j}]`, p, 'a point ({ sparsity, accuracy })');
    // 1 too: sensitivity() starts a fully pruned layer's curve there.
    const sparsity: unknown = p.sparsity, at = `${name}.curve[${j}].sparsity`;
    if (typeof sparsity !== 'number') throw new ArgumentTypeError(expected('a number', at, describe(sparsity)));
    assertInRange(at, sparsity, 0, 1);
    const a: unknown = p.accuracy, where = `${name}.curve[${j}].accuracy`;
    if (typeof a !== 'number') throw new ArgumentTypeError(expected('a finite number', where, describe(a)));
    if (!Number.isFinite(a)) throw new ArgumentRangeError(expected('a finite number', where, describe(a)));
  });
}

function describeBudget(budget: SparsityBudget): string {
  return 'sparsity' in budget ? `sparsity ${budget.sparsity}` : `${budget.parameters} parameters`;
}

/**
 * Per-layer sparsities from sensitivity curves that meet the budget over the
 * analysed layers. Each layer starts at its curve's lowest point (where
 * sensitivity() found it: 0, or a pruned layer's sparsity) and is never
 * given less; a budget the starting points already meet returns them.
 */
export function allocateSparsity(curves: LayerSensitivity[], budget: SparsityBudget): Record<string, number> {
  if (!Array.isArray(curves) || curves.length === 0) throw new ArgumentRangeError('allocateSparsity needs at least one sensitivity curve');
  curves.forEach((c, i) => checkCurve(`curves[${i}]`, c));
  // The allocation is keyed by layer name: two curves of one name would collapse into one entry.
  const twice = curves.findIndex((c, i) => curves.findIndex((d) => d.layer === c.layer) < i);
  if (twice >= 0) throw new ArgumentRangeError(`curves[${twice}] repeats layer '${curves[twice].layer}'; give each layer one curve`);
  const total = curves.reduce((s, c) => s + c.size, 0);
  assertObject('budget', budget, 'a budget ({ sparsity } or { parameters })');
  let keep: number;
  if ('sparsity' in budget) {
    assertSparsity('budget.sparsity', budget.sparsity);
    keep = (1 - budget.sparsity) * total;
  } else {
    assertInRange('budget.parameters', budget.parameters, 0, total);
    keep = budget.parameters;
  }
  // One point per distinct sparsity (the lowest accuracy among repeats), from
  // the layer's first point up: a layer already pruned cannot be given less.
  curves = curves.map((c) => {
    const points = new Map<number, number>(c.curve.length ? [] : [[0, 0]]);
    for (const p of c.curve) points.set(p.sparsity, Math.min(points.get(p.sparsity) ?? Infinity, p.accuracy));
    return { ...c, curve: [...points].sort((a, b) => a[0] - b[0]).map(([sparsity, accuracy]) => ({ sparsity, accuracy })) };
  });
  // Accuracy loss per level, made non-decreasing so each step's cost is >= 0.
  const losses = curves.map((c) => {
    let worst = 0;
    return c.curve.map((p) => (worst = Math.max(worst, c.curve[0].accuracy - p.accuracy)));
  });
  const level = curves.map(() => 0);
  const sparsityOf = (i: number, l: number) => curves[i].curve[l].sparsity;
  let removed = curves.reduce((sum, c, i) => sum + sparsityOf(i, 0) * c.size, 0);
  const needed = total - keep;
  while (removed < needed - 1e-9) {
    let best = -1, bestCost = Infinity;
    curves.forEach((c, i) => {
      const l = level[i];
      if (l + 1 >= c.curve.length) return;
      const gain = (sparsityOf(i, l + 1) - sparsityOf(i, l)) * c.size;
      const cost = (losses[i][l + 1] - losses[i][l]) / gain;
      if (cost < bestCost || (cost === bestCost && best >= 0 && c.size > curves[best].size)) {
        best = i;
        bestCost = cost;
      }
    });
    if (best < 0) {
      const most = curves.reduce((s, c) => s + c.curve[c.curve.length - 1].sparsity * c.size, 0) / total;
      throw new ArgumentRangeError(expected(`a budget the curves reach (at most sparsity ${most.toFixed(4)})`, 'budget', describeBudget(budget)));
    }
    const l = level[best];
    const step = (sparsityOf(best, l + 1) - sparsityOf(best, l)) * curves[best].size;
    if (removed + step > needed) {
      // Stop part-way along the last step so the budget is met exactly.
      const s = sparsityOf(best, l) + (needed - removed) / curves[best].size;
      return Object.fromEntries(curves.map((c, i) => [c.layer, i === best ? s : sparsityOf(i, level[i])]));
    }
    removed += step;
    level[best]++;
  }
  return Object.fromEntries(curves.map((c, i) => [c.layer, sparsityOf(i, level[i])]));
}
