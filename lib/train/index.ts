export { SGD, type SgdConfig } from './sgd';
export { combineHooks, train, type BatchContext, type BatchResult, type EpochResult, type TrainOptions, type TrainerHooks } from './trainer';
export { Adam, AdamW, type AdamConfig } from './adam';
export { clipGradNorm, type Optimizer } from './optimizer';
export { LrSchedule, type LrScheduleSpec } from './schedule';
export { groupLasso, l1, l2, quantization, sparseGroupLasso, type GroupAxis, type QuantizationTarget, type Regularizer } from './regularizers';
