export { Activation, relu, sigmoid, tanh } from './activation';
export { lenet300100, lenet5, mlp, type MlpOptions } from './architectures';
export { Conv2D, Flatten, MaxPool2D, type Conv2DOptions, type ImageShape } from './conv';
export { Dense, SPARSE_FORWARD_MIN_SPARSITY, type DenseOptions } from './dense';
export { INITIALIZERS, initialize, type InitializerName } from './init';
export type { Layer, LayerSpec, Mode } from './layer';
export { Parameter, type ParameterRole } from './parameter';
export { Sequential, type Evaluation } from './sequential';
