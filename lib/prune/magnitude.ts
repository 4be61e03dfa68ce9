/**
 * Magnitude (L1) pruning, Han et al. 2015 (arXiv 1506.02626): the smallest
 * |w| go first. Per layer it matches torch.nn.utils.prune.l1_unstructured;
 * with scope 'global' it matches global_unstructured(..., L1Unstructured).
 */
import { Scorer, scoreMethod, PruningMethod } from './method';

const magnitudeScorer: Scorer = {
  name: 'magnitude',
  // The selection kernel ranks by |x|, so the weights themselves are the scores (no copy).
  scores: (t) => t.param.value.data,
  zeroWherePruned: true,
};

export function magnitude(): PruningMethod {
  return scoreMethod(magnitudeScorer);
}
