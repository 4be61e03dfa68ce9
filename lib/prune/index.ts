export { prune, pruningGroups, scoreMethod, type PruneReport, type PruningMethod, type Scorer, type UnitLayout } from './method';
export {
  assertAmount, layerNameOf, parametersOf, selectTargets, sparsityOf,
  type PruneSource, type ScopeOptions, type Target, type TargetOptions,
} from './targets';
export { magnitude } from './magnitude';
export { randomPruning } from './random';
export { GradientAccumulator, gradientPruning } from './gradient';
export { collectGradients, saliency } from './saliency';
export { probabilisticMagnitude } from './probabilistic';
export { block, nm } from './semi-structured';
export { lnStructured, unitNorms, type StructuredDim } from './structured';
export { thin } from './thin';
export {
  constantSparsity, decayingFrequency, iterativeSparsities, oneShot, polynomialDecay,
  type PolynomialDecayOptions, type PruningSchedule,
} from './schedules';
export { Pruner, type PrunerOptions } from './pruner';
export { iterativePruning, type IterativeOptions, type RoundResult } from './iterative';
export { restore, rewind, snapshot, type Snapshot } from './snapshot';
export { lotteryTicket, type LotteryControl, type LotteryOptions, type LotteryRound } from './lottery';
export { DynamicSparseTraining, layerSparsities, type DynamicSparseOptions, type SparsityDistribution } from './dynamic';
export { pruneBelow, pruneDeadUnits, type DeadUnits } from './regularized';
export {
  DEFAULT_SENSITIVITY_LEVELS, allocateSparsity, sensitivity, type LayerSensitivity, type SparsityBudget,
} from './sensitivity';
export { csrBytes, descriptionLength, modelStats, type DescriptionLength, type LayerStats, type ModelStats } from './stats';
