/**
 * Probabilistic magnitude pruning (the seeds' "probabilistic pruning"): the
 * weights to keep are drawn without replacement with probability
 * proportional to |w|^power (Efraimidis–Spirakis keys |w|^power / E,
 * E ~ Exp(1)), so a weight's chance of being dropped falls with its
 * magnitude while the pruned count stays exact. power → ∞ approaches
 * magnitude pruning; power 0 is random pruning. Seeded.
 */
import { Random } from '../random';
import { assertInRange, optionsObject } from '../validate';
import { PruningMethod, scoreMethod } from './method';

export function probabilisticMagnitude(options: { power?: number; seed?: number } = {}): PruningMethod {
  options = optionsObject('options', options, ['power', 'seed']);
  const power = options.power ?? 2;
  assertInRange('options.power', power, 0, 64);
  const rng = new Random(options.seed ?? 0);
  return scoreMethod({
    name: 'probabilistic',
    scores: (t) => {
      const w = t.param.value.data;
      const s = new Float32Array(w.length);
      for (let i = 0; i < s.length; i++) {
        const e = -Math.log(1 - rng.next()); // Exp(1), > 0 almost surely
        // Ranked in float64 logs, then mapped monotonically into float32 range.
        const key = power * Math.log(Math.abs(w[i])) - Math.log(e);
        s[i] = w[i] === 0 ? 0 : 1 / (1 + Math.exp(-key / 64));
      }
      return s;
    },
  });
}
