/**
 * A recipe sets every stage of the pipeline (like a SparseML recipe): the
 * data and architecture, baseline training, the pruning method and
 * schedule with per-layer sparsities, and weight sharing. Recipes are JSON
 * or YAML files; command-line flags override them; anything unset takes the
 * defaults below, which are the ones `prunekit run` (and `npm start`) uses.
 * docs/RECIPES.md documents every field.
 */
import path from 'path';
import YAML from 'yaml';
import { PrunekitError } from '../errors';
import { describe } from '../validate';
import { readFileBytes } from '../files';
import { MAX_INDEX_BITS } from '../compress/sparse-index';

/** A mistake in how prunekit was invoked (a flag, a recipe): the CLI exits 1. */
export class UsageError extends PrunekitError {}

export type ScheduleName = 'iterative' | 'gradual' | 'one-shot';
export type BitsSetting = number | Record<string, number>;

export interface TrainRecipe {
  epochs: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  batchSize: number;
  /** Random shifts of the training images by up to this many pixels (0: none). */
  shift: number;
}

export interface PruneRecipe extends TrainRecipe {
  method: string;
  scope: 'global' | 'layer';
  /** The overall target sparsity (fraction of weights removed). */
  sparsity: number;
  /** Per-layer sparsities replacing the overall one for those layers. */
  layers: Record<string, number>;
  exclude: string[];
  schedule: ScheduleName;
  /** Prune-then-fine-tune rounds of the iterative schedule. */
  rounds: number;
  /** Strength of the L1 / group-lasso penalty (methods l1, group-lasso). */
  strength: number;
}

export interface QuantizeRecipe {
  /** Absent: 8 bits for convolution kernels, 5 for dense weights. */
  bits?: BitsSetting;
  indexBits?: BitsSetting;
  init: 'linear' | 'density' | 'random' | 'kmeans++';
  epochs: number;
  lr: number;
}

export interface Recipe {
  data: string;
  arch: string;
  seed: number;
  init?: string;
  train: TrainRecipe;
  prune: PruneRecipe;
  quantize: QuantizeRecipe;
}

export const DEFAULT_RECIPE: Recipe = {
  data: 'mnist',
  arch: 'lenet-300-100',
  seed: 1,
  train: { epochs: 15, lr: 0.1, momentum: 0.9, weightDecay: 0, batchSize: 128, shift: 0 },
  prune: {
    method: 'magnitude', scope: 'global', sparsity: 0.93, layers: {}, exclude: [], schedule: 'iterative', rounds: 5,
    epochs: 30, lr: 0.1, momentum: 0.9, weightDecay: 5e-4, batchSize: 128, shift: 0, strength: 1e-4,
  },
  quantize: { init: 'linear', epochs: 3, lr: 1e-4 },
};

/**
 * Defaults that depend on the architecture: LeNet-5 diverges at the MLP's
 * learning rate, so it gets the recipe bench/compress.bench.ts chose on a
 * validation split (docs/recipes/lenet-5.yaml).
 */
export function defaultsFor(arch: string): Recipe {
  if (arch !== 'lenet-5') return { ...DEFAULT_RECIPE, arch };
  return {
    ...DEFAULT_RECIPE,
    arch,
    train: { ...DEFAULT_RECIPE.train, epochs: 10, lr: 0.01 },
    prune: { ...DEFAULT_RECIPE.prune, schedule: 'gradual', epochs: 20, lr: 0.02 },
    quantize: { ...DEFAULT_RECIPE.quantize, epochs: 2 },
  };
}

const MAX_RECIPE_BYTES = 2 ** 20;

type Shape = { [key: string]: Check };
type Check = (value: unknown, where: string) => unknown;

/** A recipe value as the message shows it: JSON where that works (YAML can make cycles), numbers as written. */
function shown(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return describe(value);
  }
}

const fail = (where: string, what: string, value: unknown): never => {
  throw new UsageError(`${where}: expected ${what}, got ${shown(value)}`);
};
const num = (min: number, max: number, integer = false): Check => (v, where) =>
  typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max && (!integer || Number.isInteger(v))
    ? v
    : fail(where, `${integer ? 'an integer' : 'a number'} in [${min}, ${max}]`, v);
/** A rate: above 0 (a learning rate of 0 would fail when training starts, after the work before it). */
const rate = (max: number): Check => (v, where) =>
  typeof v === 'number' && v > 0 && v <= max ? v : fail(where, `a number in (0, ${max}]`, v);
const oneOf = (...names: string[]): Check => (v, where) => (typeof v === 'string' && names.includes(v) ? v : fail(where, names.join(' | '), v));
const text: Check = (v, where) => (typeof v === 'string' && v.length > 0 ? v : fail(where, 'a non-empty string', v));
const strings: Check = (v, where) => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? v : fail(where, 'a list of layer names', v));
const perLayer = (check: Check): Check => (v, where) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(where, 'a map of layer name to value', v);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, check(x, `${where}.${k}`)]));
};
const widths = (max: number): Check => (v, where) => (typeof v === 'number' ? num(1, max, true)(v, where) : perLayer(num(1, max, true))(v, where));
const sparsity = num(0, 0.999);

const trainShape: Shape = { epochs: num(0, 10000, true), lr: rate(10), momentum: num(0, 0.9999), weightDecay: num(0, 1), batchSize: num(1, 65536, true), shift: num(0, 64, true) };
const SHAPE: Shape = {
  data: text, arch: text, seed: num(0, 2 ** 31 - 1, true), init: text,
  train: object(trainShape),
  prune: object({
    ...trainShape, method: text, scope: oneOf('global', 'layer'), sparsity, layers: perLayer(sparsity), exclude: strings,
    schedule: oneOf('iterative', 'gradual', 'one-shot'), rounds: num(1, 100, true), strength: num(0, 1),
  }),
  quantize: object({ bits: widths(12), indexBits: widths(MAX_INDEX_BITS), init: oneOf('linear', 'density', 'random', 'kmeans++'), epochs: num(0, 1000, true), lr: rate(10) }),
};

function object(shape: Shape): Check {
  return (v, where) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(where || 'top level', 'a mapping of recipe fields', v);
    for (const [key, value] of Object.entries(v)) {
      const check = Object.hasOwn(shape, key) ? shape[key] : undefined;
      if (!check) throw new UsageError(`${where ? `${where}.` : ''}${key}: unknown recipe field (known: ${Object.keys(shape).join(', ')})`);
      check(value, where ? `${where}.${key}` : key);
    }
    return v;
  };
}

/** Checks every field a partial recipe sets (throws UsageError naming the field). */
export function checkRecipe(partial: unknown): Partial<Recipe> {
  object(SHAPE)(partial, '');
  return partial as Partial<Recipe>;
}

/** Deep-merges a checked partial recipe over a full one (maps of layers are replaced, not merged). */
export function mergeRecipe(base: Recipe, partial: unknown): Recipe {
  object(SHAPE)(partial, '');
  const p = partial as Partial<Record<keyof Recipe, unknown>>;
  return {
    ...base,
    ...(p as object),
    train: { ...base.train, ...(p.train as object) },
    prune: { ...base.prune, ...(p.prune as object) },
    quantize: { ...base.quantize, ...(p.quantize as object) },
  } as Recipe;
}

/**
 * Reads a JSON or YAML recipe (JSON by the .json extension; anything else is
 * parsed as YAML, a superset of JSON) and checks every field it sets.
 */
export function loadRecipe(file: string): Partial<Recipe> {
  const name = path.basename(file);
  let bytes: Buffer;
  try {
    bytes = readFileBytes(file);
  } catch (error) {
    throw new UsageError(`recipe: ${(error as Error).message}`);
  }
  // A recipe is a few lines: a huge file is a wrong path, and would not fit in one string.
  if (bytes.length > MAX_RECIPE_BYTES) throw new UsageError(`recipe ${name}: ${bytes.length} bytes is not a recipe (at most ${MAX_RECIPE_BYTES})`);
  const text = bytes.toString('utf8');
  const json = path.extname(file).toLowerCase() === '.json';
  let partial: unknown;
  try {
    // JSON.parse keeps the last of duplicate keys silently: the YAML parser (JSON is YAML) refuses them.
    if (json) JSON.parse(text);
    const doc = YAML.parseDocument(text, { prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length) throw doc.errors[0];
    partial = doc.toJS() as unknown;
  } catch (error) {
    // JSON.parse quotes the text around the fault, line breaks and all: one line, with them escaped.
    const message = json ? (error as Error).message.replace(/\r?\n/g, '\\n') : (error as Error).message.split('\n')[0];
    throw new UsageError(`recipe ${name} is not valid ${json ? 'JSON' : 'YAML'}: ${message}`);
  }
  try {
    object(SHAPE)(partial ?? {}, '');
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`recipe ${name}: ${error.message}`);
    throw error;
  }
  return (partial ?? {}) as Partial<Recipe>;
}
