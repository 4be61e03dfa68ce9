/**
 * Connection saliency |w · g| (SNIP, Lee et al., arXiv 1810.02340): the
 * first-order change of the loss when a weight is removed. g is the mean
 * gradient over the observed batches, so the score works at initialization
 * (collectGradients on a few batches, then prune once) or after training.
 */
import { Dataset, batches, checkDataset } from '../data/dataset';
import { Sequential } from '../nn/sequential';
import { assertInteger, optionsObject } from '../validate';
import { assertMethod } from './checks';
import { GradientAccumulator } from './gradient';
import { PruningMethod, scoreMethod } from './method';
import { TARGET_OPTIONS, TargetOptions, selectTargets } from './targets';

export function saliency(): PruningMethod {
  const acc = new GradientAccumulator(false);
  return scoreMethod({
    name: 'saliency',
    scores: (t) => {
      const g = acc.get(t, 'saliency');
      const w = t.param.value.data;
      const s = new Float32Array(w.length);
      for (let i = 0; i < s.length; i++) s[i] = Math.abs(w[i] * g[i]);
      return s;
    },
    observe: (targets) => acc.observe(targets),
    reset: () => acc.reset(),
  });
}

/**
 * Runs forward and backward passes over `batchCount` seeded mini-batches
 * (no weight update) and shows each batch's gradients to the method.
 */
export function collectGradients(
  model: Sequential,
  data: Dataset,
  method: PruningMethod,
  options: TargetOptions & { batchCount?: number; batchSize?: number; seed?: number } = {},
): void {
  options = optionsObject('options', options, [...TARGET_OPTIONS, 'batchCount', 'batchSize', 'seed']);
  const { batchCount = 10, batchSize = 128, seed = 0 } = options;
  assertMethod('method', method);
  checkDataset(data, 'data');
  assertInteger('batchCount', batchCount, 1);
  assertInteger('batchSize', batchSize, 1);
  const targets = selectTargets(model, options);
  let seen = 0;
  for (const b of batches(data, batchSize, { seed, reuse: true })) {
    if (seen++ >= batchCount) break;
    model.lossAndGradients(b.x, b.y);
    method.observe?.(targets);
  }
}
