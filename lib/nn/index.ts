export { Activation, relu, sigmoid, tanh } from './activation';
export { lenet300100, mlp, type MlpOptions } from './architectures';
export { Dense, SPARSE_FORWARD_MIN_SPARSITY, type DenseOptions } from './dense';
export { INITIALIZERS, initialize, type InitializerName } from './init';
export type { Layer, LayerSpec, Mode } from './layer';
export { Parameter, type ParameterRole } from './parameter';
export { Sequential, type Evaluation } from './sequential';
