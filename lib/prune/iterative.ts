/**
 * Iterative pruning, Han et al. 2015 (arXiv 1506.02626): prune, fine-tune,
 * repeat, each round to a higher sparsity (iterativeSparsities). The caller
 * supplies the fine-tuning (optimizer, learning rate, epochs), so the same
 * driver serves every method and recipe.
 */
import { Dataset, checkDataset } from '../data/dataset';
import { Sequential } from '../nn/sequential';
import { assertFunction, optionsObject } from '../validate';
import { assertMethod } from './checks';
import { PruningMethod, PruneReport, report } from './method';
import { magnitude } from './magnitude';
import { iterativeSparsities } from './schedules';
import { SCOPE_OPTIONS, ScopeOptions, checkOverrides, rampOverrides, selectTargets } from './targets';

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
  // Everything is checked before the first round prunes: a bad option must not leave the model half done.
  options = optionsObject('options', options, [...SCOPE_OPTIONS, 'method', 'final', 'rounds', 'perRound', 'fineTune', 'validation']);
  const method = options.method ?? magnitude();
  assertMethod('options.method', method);
  assertFunction('options.fineTune', options.fineTune);
  if (options.validation !== undefined) checkDataset(options.validation, 'options.validation');
  const targets = selectTargets(model, options);
  checkOverrides(targets, options.overrides);
  const sparsities = iterativeSparsities({ final: options.final, rounds: options.rounds, perRound: options.perRound });
  const results: RoundResult[] = [];
  sparsities.forEach((sparsity, i) => {
    // Per-layer overrides ramp with the rounds, as under a Pruner.
    method.prune(targets, sparsity, { scope: options.scope, overrides: rampOverrides(options.overrides, sparsity, options.final) });
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
