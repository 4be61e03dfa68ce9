/**
 * What a pruning step acts on: the weight parameters of a model (or any
 * list of parameters), chosen by layer or parameter name, and the sparsity
 * each gets. Biases are never pruned by the unstructured methods.
 */
import { ArgumentRangeError, ArgumentTypeError } from '../errors';
import { countZeros } from '../kernels/mask';
import { Parameter } from '../nn/parameter';
import { Sequential } from '../nn/sequential';
import { assertInRange, describe, expected, optionsObject } from '../validate';

export type PruneSource = Sequential | Parameter[];

/** The keys of TargetOptions and ScopeOptions, for the options checks of the functions that take them. */
export const TARGET_OPTIONS = ['layers', 'exclude'] as const;
export const SCOPE_OPTIONS = [...TARGET_OPTIONS, 'scope', 'overrides'] as const;

export interface TargetOptions {
  /** Layer or parameter names to prune (default: every weight). */
  layers?: string[];
  /** Layer or parameter names to leave alone, e.g. the output layer. */
  exclude?: string[];
}

export interface ScopeOptions extends TargetOptions {
  /** 'layer' (default): each layer pruned to the sparsity on its own; 'global': one threshold across the chosen layers. */
  scope?: 'layer' | 'global';
  /** Per-layer sparsity (or count) replacing the shared one; such layers are pruned on their own. */
  overrides?: Record<string, number>;
}

/** A weight to prune and the layer it belongs to ("fc1" for "fc1.weight"). */
export interface Target {
  readonly layer: string;
  readonly param: Parameter;
}

export function layerNameOf(p: Parameter): string {
  if (!(p instanceof Parameter)) throw new ArgumentTypeError(expected('a Parameter', 'p', describe(p)));
  return layerOfName(p.name);
}

/** The layer a parameter name belongs to ("fc1" for "fc1.weight"). */
export function layerOfName(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

export function parametersOf(source: PruneSource): Parameter[] {
  if (source instanceof Sequential) return source.parameters();
  if (Array.isArray(source) && source.every((p) => p instanceof Parameter)) {
    // Listed twice (say, from two models that share a layer), a weight would count twice toward a global sparsity.
    const twice = source.findIndex((p, i) => source.indexOf(p) < i);
    if (twice >= 0) throw new ArgumentRangeError(`model[${twice}] is model[${source.indexOf(source[twice])}] (${source[twice].name}) again; list each parameter once`);
    return source;
  }
  throw new ArgumentTypeError(expected('a Sequential model or an array of Parameter', 'model', describe(source)));
}

/**
 * Refuses a layer name two weights answer to (two layers built with the
 * same default name, dense_8_8): it would select both without a word.
 * Overrides may (the library's own drivers key them by parameter name, and
 * same-named layers get the same rate).
 */
function assertUnambiguous(option: string, name: string, targets: readonly Target[]): void {
  const matching = targets.filter((t) => t.layer === name || t.param.name === name);
  if (matching.length > 1) {
    throw new ArgumentRangeError(`${option}: '${name}' names ${matching.length} layers of the model; give its layers distinct names ({ name: 'fc1' }, ...)`);
  }
}

function checkNames(option: string, names: unknown, all: readonly Target[]): string[] {
  if (names === undefined) return [];
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string')) {
    throw new ArgumentTypeError(expected('an array of layer names', option, describe(names)));
  }
  const known = new Set(all.flatMap((t) => [t.layer, t.param.name]));
  for (const n of names) {
    if (!known.has(n)) {
      throw new ArgumentRangeError(expected(`a layer name (one of ${[...known].join(', ')})`, option, `unknown layer '${n}'`));
    }
    assertUnambiguous(option, n, all);
  }
  return names as string[];
}

/** The weights selected by options.layers / options.exclude, in model order. */
export function selectTargets(source: PruneSource, options: TargetOptions = {}): Target[] {
  options = optionsObject('options', options);
  const weights = parametersOf(source).filter((p) => p.role === 'weight');
  const all = weights.map((p) => ({ layer: layerNameOf(p), param: p }));
  const named = (t: Target, names: string[]) => names.includes(t.layer) || names.includes(t.param.name);
  const include = checkNames('options.layers', options.layers, all);
  const exclude = checkNames('options.exclude', options.exclude, all);
  const chosen = all.filter((t) => (include.length === 0 || named(t, include)) && !named(t, exclude));
  if (chosen.length === 0) throw new ArgumentRangeError('options.layers/options.exclude leave no weights to prune');
  return chosen;
}

/** A sparsity in [0, 1) or, as in torch.nn.utils.prune, an integer count >= 1. */
export function assertAmount(name: string, amount: unknown): asserts amount is number {
  if (typeof amount !== 'number') throw new ArgumentTypeError(expected('a number', name, describe(amount)));
  if (Number.isInteger(amount) && amount >= 1) return;
  assertInRange(name, amount, 0, 1, { maxExclusive: true });
}

export function assertSparsity(name: string, sparsity: unknown): asserts sparsity is number {
  if (typeof sparsity !== 'number') throw new ArgumentTypeError(expected('a number', name, describe(sparsity)));
  assertInRange(name, sparsity, 0, 1, { maxExclusive: true });
}

/** The override for a target, if options.overrides names its layer or parameter. */
export function overrideFor(t: Target, overrides: Record<string, number> | undefined): number | undefined {
  if (!overrides) return undefined;
  return overrides[t.param.name] ?? overrides[t.layer];
}

/**
 * Overrides scaled to a point of a schedule: override · sparsity / final
 * (counts stay as they are), so every layer reaches its own override when
 * the schedule reaches its final sparsity.
 */
export function rampOverrides(overrides: Record<string, number> | undefined, sparsity: number, final: number): Record<string, number> | undefined {
  const ramp = final > 0 ? sparsity / final : 1;
  return overrides && Object.fromEntries(Object.entries(overrides).map(([k, v]) => [k, v < 1 ? v * ramp : v]));
}

export function checkOverrides(targets: Target[], overrides: Record<string, number> | undefined): void {
  if (overrides === undefined) return;
  if (typeof overrides !== 'object' || overrides === null) {
    throw new ArgumentTypeError(expected('an object of layer name → sparsity', 'options.overrides', describe(overrides)));
  }
  const known = new Set(targets.flatMap((t) => [t.layer, t.param.name]));
  for (const [name, v] of Object.entries(overrides)) {
    if (!known.has(name)) {
      throw new ArgumentRangeError(expected(`a pruned layer (one of ${[...known].join(', ')})`, 'options.overrides', `unknown layer '${name}'`));
    }
    assertAmount(`options.overrides.${name}`, v);
  }
}

/** An array of { layer, param } with a Parameter each, as selectTargets() returns. */
export function assertTargets(name: string, value: unknown): asserts value is Target[] {
  if (!Array.isArray(value)) throw new ArgumentTypeError(expected('an array of targets (from selectTargets)', name, describe(value)));
  value.forEach((t, i) => {
    if (typeof t !== 'object' || t === null || !((t as Target).param instanceof Parameter)) {
      throw new ArgumentTypeError(expected('a target ({ layer, param: Parameter })', `${name}[${i}]`, describe(t)));
    }
  });
}

/** Fraction of the targets' weights that are pruned (mask 0). */
export function sparsityOf(targets: Target[]): number {
  assertTargets('targets', targets);
  let total = 0, pruned = 0;
  for (const { param } of targets) {
    total += param.size;
    if (param.mask) pruned += countZeros(param.mask);
  }
  return total ? pruned / total : 0;
}
