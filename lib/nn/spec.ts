/** Rebuilds layers from their JSON specs (the architecture part of a checkpoint). */
import { ArgumentRangeError, CorruptModelError, ShapeError } from '../errors';
import { Parameter } from './parameter';
import { Activation } from './activation';
import { Conv2D, Flatten, ImageShape, MaxPool2D } from './conv';
import { Dense } from './dense';
import { Dropout } from './dropout';
import { Layer, LayerSpec } from './layer';
import { Sequential } from './sequential';

function num(spec: LayerSpec, key: string): number {
  const v = spec[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new CorruptModelError(`layer '${String(spec.name)}': '${key}' must be a non-negative integer, found ${JSON.stringify(v)}`);
  }
  return v;
}

function image(spec: LayerSpec): ImageShape {
  const v = spec.input;
  if (!Array.isArray(v) || v.length !== 3 || !v.every((d) => Number.isInteger(d) && d > 0)) {
    throw new CorruptModelError(`layer '${String(spec.name)}': 'input' must be [channels, height, width], found ${JSON.stringify(v)}`);
  }
  return v as unknown as ImageShape;
}

export function layerFromSpec(spec: LayerSpec): Layer {
  if (typeof spec !== 'object' || spec === null) throw new CorruptModelError(`a layer spec must be an object, found ${String(spec)}`);
  const name = typeof spec.name === 'string' ? spec.name : undefined;
  try {
    switch (spec.type) {
      case 'dense':
        return new Dense(num(spec, 'in'), num(spec, 'out'), { name, init: 'zeros' });
      case 'relu':
      case 'tanh':
      case 'sigmoid':
        return new Activation(spec.type, name);
      case 'conv2d':
        return new Conv2D(image(spec), num(spec, 'out'), num(spec, 'kernel'), {
          stride: num(spec, 'stride'), padding: num(spec, 'padding'), name, init: 'zeros',
        });
      case 'maxpool2d':
        return new MaxPool2D(image(spec), num(spec, 'size'), num(spec, 'stride'), name);
      case 'flatten':
        return new Flatten(name);
      case 'dropout':
        // Files written before the seed was stored draw from seed 0.
        return new Dropout(Number(spec.p), { name, seed: spec.seed === undefined ? 0 : num(spec, 'seed') });
      default:
        throw new CorruptModelError(`unknown layer type ${JSON.stringify(spec.type)}`);
    }
  } catch (e) {
    if (e instanceof CorruptModelError) throw e;
    throw new CorruptModelError(`layer ${JSON.stringify(spec.name ?? spec.type)}: ${(e as Error).message}`);
  }
}

export function modelFromSpec(specs: unknown): Sequential {
  if (!Array.isArray(specs) || specs.length === 0) throw new CorruptModelError('the architecture must be a non-empty list of layers');
  const layers = specs.map((s) => layerFromSpec(s as LayerSpec));
  let model: Sequential;
  try {
    model = new Sequential(layers);
  } catch (e) {
    // A stored architecture whose layers do not chain: the file is corrupt.
    if (e instanceof ShapeError) throw new CorruptModelError(e.message);
    throw e;
  }
  const twice = repeatedName(model.parameters());
  if (twice !== undefined) throw new CorruptModelError(`two layers hold parameters named '${twice}': the file cannot say which values are whose`);
  return model;
}

function repeatedName(params: readonly Parameter[]): string | undefined {
  const names = new Set<string>();
  for (const p of params) {
    if (names.has(p.name)) return p.name;
    names.add(p.name);
  }
  return undefined;
}

/**
 * Checks that a model can be written and read back: parameter names, which
 * files key the values by, are unique (two unnamed layers of one type and
 * size share a default name).
 */
export function assertSavableNames(model: Sequential): void {
  const twice = repeatedName(model.parameters());
  if (twice !== undefined) {
    throw new ArgumentRangeError(`cannot save a model with two parameters named '${twice}': give its layers distinct names ({ name })`);
  }
}

/**
 * Parameters a list of specs implies, computed without building anything, so
 * a reader can compare it with the data it holds before allocating.
 */
export function specParameterCount(specs: unknown): number {
  if (!Array.isArray(specs)) return NaN;
  let total = 0;
  for (const s of specs as LayerSpec[]) {
    if (!['dense', 'relu', 'tanh', 'sigmoid', 'conv2d', 'maxpool2d', 'flatten', 'dropout'].includes(s?.type)) {
      throw new CorruptModelError(`unknown layer type ${JSON.stringify(s?.type)}`);
    }
    if (s?.type === 'dense') total += Number(s.in) * Number(s.out) + Number(s.out);
    if (s?.type === 'conv2d' && Array.isArray(s.input)) {
      total += Number(s.out) * Number(s.input[0]) * Number(s.kernel) ** 2 + Number(s.out);
    }
  }
  return total;
}
