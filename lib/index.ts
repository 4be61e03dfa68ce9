/**
 * prunekit: train, prune and Deep-Compress small neural networks in Node.js.
 */
export * from './errors';
export { Tensor, type Shape } from './tensor';
export { gemm, gemmAsync, type GemmOptions } from './kernels/gemm';
export {
  SparseMatrix,
  sparseLinear,
  sparseLinearAsync,
  sparseMatmul,
  sparseMatmulAsync,
  sparseWeightGrad,
  sparseWeightGradAsync,
  type CsrArrays,
} from './kernels/sparse';
export { applyMask, countZeros, maskAnd, maskedSgdStep, type SgdOptions, type SgdParameter } from './kernels/mask';
export {
  globalMagnitudeThreshold,
  globalMagnitudeThresholdAsync,
  kthSmallestMagnitude,
  magnitudeThreshold,
  magnitudeThresholdAsync,
  percentile,
  percentileAsync,
  pruneCount,
  roundHalfEven,
  type GlobalThresholdResult,
  type ThresholdResult,
} from './kernels/threshold';
export { info, setThreads, type BackendInfo } from './kernels/system';
export { Random } from './random';
export * from './data';
export {
  activation, activationGrad, biasAdd, biasGrad, dropout, dropoutGrad, softmaxCrossEntropy, type ActivationKind, type CrossEntropy,
} from './kernels/elementwise';
export * from './nn';
export * from './train';
export * from './prune';
export * from './compress';
