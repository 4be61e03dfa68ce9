export { SGD, type SgdConfig } from './sgd';
export { train, type BatchContext, type BatchResult, type EpochResult, type TrainOptions, type TrainerHooks } from './trainer';
