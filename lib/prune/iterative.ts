/**
 * Iterative pruning, Han et al. 2015 (arXiv 1506.02626): prune, fine-tune,
 * repeat, each round to a higher sparsity (iterativeSparsities). The caller
 * supplies the fine-tuning (optimizer, learning rate, epochs), so the same
 * driver serves every method and recipe.
 */
import { Dataset } from '../data/dataset';
import { Sequential } from '../nn/sequential';
import { PruningMethod, PruneReport, report } from './method';
import { magnitude } from './magnitude';
import { iterativeSparsities } from './schedules';
import { ScopeOptions, rampOverrides, selectTargets } from './targets';

export interface IterativeOptions extends ScopeOptions {
  method?: PruningMethod;
  final: number;
  rounds?: number;
  /** Fraction of the remaining weights each round prunes (instead of rounds). */
  perRound?: number;
  /** Fine-tunes the pruned model (masks are kept by the optimizers). */
  fineTune: (model: Sequential, round: number) => void;
  /** Evaluated after each round's fine-tuning (a validation split, never the test split when tuning). */
  validation?: Dataset;
}

export interface RoundResult {
  round: number;
  sparsity: number;
  report: PruneReport;
  /** Validation accuracy after fine-tuning, when options.validation is given. */
  accuracy?: number;
}

export function iterativePruning(model: Sequential, options: IterativeOptions): RoundResult[] {
  const method = options.method ?? magnitude();
  const targets = selectTargets(model, options);
  const results: RoundResult[] = [];
  iterativeSparsities(options).forEach((sparsity, i) => {
    // Per-layer overrides ramp with the rounds, as under a Pruner.
    method.prune(targets, sparsity, { ...options, overrides: rampOverrides(options.overrides, sparsity, options.final) });
    options.fineTune(model, i);
    results.push({
      round: i + 1,
      sparsity,
      report: report(method.name, targets),
      ...(options.validation ? { accuracy: model.evaluate(options.validation).accuracy } : {}),
    });
  });
  return results;
}
