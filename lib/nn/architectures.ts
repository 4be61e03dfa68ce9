/** Named architectures. */
import { ArgumentRangeError } from '../errors';
import { assertInteger, describe, expected, optionsObject } from '../validate';
import { ActivationKind, activationCode } from '../kernels/elementwise';
import { Activation } from './activation';
import { Conv2D, Flatten, MaxPool2D } from './conv';
import { Dense } from './dense';
import { InitializerName } from './init';
import { Layer } from './layer';
import { Sequential } from './sequential';

export interface MlpOptions {
  activation?: ActivationKind;
  init?: InitializerName;
  seed?: number;
}

/**
 * The seed of a network's layer `i`: seed·1000 + i as always while that fits
 * in 32 bits; past that a hash of both, so large network seeds neither
 * overflow Random's range nor repeat every 2^29 as a plain wrap would.
 */
function layerSeed(seed: number, i: number): number {
  const plain = seed * 1000 + i;
  if (plain < 2 ** 32) return plain;
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

function networkSeed(options: { seed?: number }): number {
  const seed = options.seed ?? 0;
  assertInteger('options.seed', seed, 0, 2 ** 32 - 1);
  return seed;
}

/** A multilayer perceptron: Dense layers of the given sizes, an activation between them, logits out. */
export function mlp(sizes: number[], options: MlpOptions = {}): Sequential {
  if (!Array.isArray(sizes) || sizes.length < 2) {
    const shown = Array.isArray(sizes) ? `[${sizes.map((v) => (typeof v === 'number' ? String(v) : describe(v))).join(', ')}]` : describe(sizes);
    throw new ArgumentRangeError(expected('at least two layer sizes', 'sizes', shown));
  }
  sizes.forEach((s, i) => assertInteger(`sizes[${i}]`, s, 1));
  options = optionsObject('options', options, ['activation', 'init', 'seed']);
  const seed = networkSeed(options);
  const kind = options.activation ?? 'relu';
  activationCode(kind, 'options.activation');
  const layers: Layer[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new Dense(sizes[i], sizes[i + 1], { init: options.init, seed: layerSeed(seed, i), name: `fc${i + 1}` }));
    if (i + 2 < sizes.length) layers.push(new Activation(kind, `${kind}${i + 1}`));
  }
  return new Sequential(layers);
}

/** LeNet-300-100 (784-300-100-10, ReLU): 266,610 parameters. */
export function lenet300100(options: MlpOptions = {}): Sequential {
  return mlp([784, 300, 100, 10], options);
}

/**
 * Caffe's LeNet-5 for 28×28 inputs: conv 20@5×5, max-pool 2, conv 50@5×5,
 * max-pool 2, dense 500, ReLU, dense 10 — 431,080 parameters.
 */
export function lenet5(options: { init?: InitializerName; seed?: number } = {}): Sequential {
  options = optionsObject('options', options, ['init', 'seed']);
  const seed = networkSeed(options);
  const conv1 = new Conv2D([1, 28, 28], 20, 5, { init: options.init, seed: layerSeed(seed, 0), name: 'conv1' });
  const pool1 = new MaxPool2D(conv1.outputShape, 2, 2, 'pool1');
  const conv2 = new Conv2D(pool1.outputShape, 50, 5, { init: options.init, seed: layerSeed(seed, 1), name: 'conv2' });
  const pool2 = new MaxPool2D(conv2.outputShape, 2, 2, 'pool2');
  const flat = pool2.outputShape.reduce((a, b) => a * b, 1);
  return new Sequential([
    conv1, pool1, conv2, pool2, new Flatten(),
    new Dense(flat, 500, { init: options.init, seed: layerSeed(seed, 2), name: 'fc1' }), new Activation('relu', 'relu1'),
    new Dense(500, 10, { init: options.init, seed: layerSeed(seed, 3), name: 'fc2' }),
  ]);
}
