/** Named architectures. */
import { ArgumentRangeError } from '../errors';
import { assertInteger, expected } from '../validate';
import { ActivationKind } from '../kernels/elementwise';
import { Activation } from './activation';
import { Dense } from './dense';
import { InitializerName } from './init';
import { Layer } from './layer';
import { Sequential } from './sequential';

export interface MlpOptions {
  activation?: ActivationKind;
  init?: InitializerName;
  seed?: number;
}

/** A multilayer perceptron: Dense layers of the given sizes, an activation between them, logits out. */
export function mlp(sizes: number[], options: MlpOptions = {}): Sequential {
  if (!Array.isArray(sizes) || sizes.length < 2) {
    throw new ArgumentRangeError(expected('at least two layer sizes', 'sizes', JSON.stringify(sizes)));
  }
  sizes.forEach((s, i) => assertInteger(`sizes[${i}]`, s, 1));
  const seed = options.seed ?? 0;
  const layers: Layer[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new Dense(sizes[i], sizes[i + 1], { init: options.init, seed: seed * 1000 + i, name: `fc${i + 1}` }));
    if (i + 2 < sizes.length) layers.push(new Activation(options.activation ?? 'relu', `${options.activation ?? 'relu'}${i + 1}`));
  }
  return new Sequential(layers);
}

/** LeNet-300-100 (784-300-100-10, ReLU): 266,610 parameters. */
export function lenet300100(options: MlpOptions = {}): Sequential {
  return mlp([784, 300, 100, 10], options);
}
