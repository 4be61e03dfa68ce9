/** Random pruning: the control every other method must beat. Seeded. */
import { Random } from '../random';
import { optionsObject } from '../validate';
import { PruningMethod, scoreMethod } from './method';

export function randomPruning(options: { seed?: number } = {}): PruningMethod {
  const rng = new Random(optionsObject('options', options, ['seed']).seed ?? 0);
  return scoreMethod({
    name: 'random',
    scores: (t) => {
      const s = new Float32Array(t.param.size);
      for (let i = 0; i < s.length; i++) s[i] = 1 - rng.next(); // (0, 1]: never ties with a pruned unit
      return s;
    },
  });
}
