/**
 * The stages `prunekit` runs, each a function of a model, data and one
 * section of the recipe: train a baseline, prune with fine-tuning, share
 * weights with centroid fine-tuning. Progress goes to a Progress sink and
 * every stage returns what the report draws.
 */
import { Augmentation, randomShift } from '../data/augment';
import { Dataset, Split } from '../data/dataset';
import { loadDataset } from '../data';
import { ArgumentRangeError, DataError, ShapeError } from '../errors';
import { Tensor } from '../tensor';
import { InitializerName, INITIALIZERS } from '../nn/init';
import { dataDependentInit } from '../nn/data-init';
import { lenet300100, lenet5, mlp } from '../nn/architectures';
import { Sequential } from '../nn/sequential';
import { Parameter } from '../nn/parameter';
import {
  DynamicSparseTraining, Pruner, PruningMethod, block, collectGradients, gradientPruning, iterativePruning, lnStructured, magnitude,
  nm, oneShot, polynomialDecay, probabilisticMagnitude, randomPruning, restore, saliency, snapshot,
} from '../prune';
import { Target, layerOfName, selectTargets } from '../prune/targets';
import { SharedWeights, fineTuneCentroids, shareWeights } from '../compress/sharing';
import { LrSchedule } from '../train/schedule';
import { SGD } from '../train/sgd';
import { Regularizer, groupLasso, l1 } from '../train/regularizers';
import { TrainerHooks, combineHooks, train } from '../train/trainer';
import { PruneRecipe, QuantizeRecipe, TrainRecipe, UsageError } from './recipe';

export interface Progress {
  /** A stage with `total` steps starts (batches, rounds, ...). */
  start(stage: string, total: number): void;
  tick(steps?: number, status?: string): void;
  /** The stage ended (`failed`: by an error, so no summary line). */
  stop(failed?: boolean): void;
}

export const silentProgress: Progress = { start() {}, tick() {}, stop() {} };

export const ARCHITECTURES = ['lenet-300-100', 'lenet-5', 'mlp:IN-H1-...-OUT'];
export const METHODS = [
  'magnitude', 'random', 'gradient', 'snip', 'probabilistic', 'structured', 'nm:N:M', 'block:RxC', 'set', 'rigl', 'l1', 'group-lasso',
];

/** Checks that a loaded model reads the data's samples and predicts its classes, before any long work. */
export function checkModelReads(model: { logits(x: Tensor): Tensor }, data: Dataset, source: string): void {
  if (data.y.length === 0) throw new DataError(`${data.name} has no samples to check ${source} against`);
  const features = data.x.shape[1];
  let z: Tensor;
  try {
    z = model.logits(new Tensor(data.x.data.slice(0, features), [1, features]));
  } catch (error) {
    if (error instanceof ShapeError) {
      throw new UsageError(`${source} does not read ${data.name}'s samples of shape [${data.sampleShape.join(', ')}] (${error.message})`);
    }
    throw error;
  }
  if (z.shape[1] !== data.classes) throw new UsageError(`${source} predicts ${z.shape[1]} classes but ${data.name} has ${data.classes}`);
}

/** Data-dependent initializations a recipe can name: a base initializer, then a rescaling on training samples. */
const DATA_INITS = {
  lsuv: { base: 'orthogonal', method: 'lsuv' }, // Mishkin & Matas
  data: { base: 'he', method: 'per-unit' }, // Krähenbühl et al.
} as const;
const DATA_INIT_SAMPLES = 512;

/** The recipe's dataset; a name that is none of the known forms is a usage mistake naming the field. */
export function datasetFor(spec: string): Split {
  let split: Split;
  try {
    split = loadDataset(spec);
  } catch (error) {
    if (error instanceof ArgumentRangeError) throw new UsageError(`data (or --data): ${error.message}`);
    throw error;
  }
  // Accuracy on no samples would print as 0%.
  for (const part of [split.train, split.test]) if (part.y.length === 0) throw new DataError(`${part.name}: no samples`);
  return split;
}

/** A network for `arch` that reads the data's samples and predicts its classes. */
export function buildModel(arch: string, data: Dataset, seed: number, init?: string): Sequential {
  const names = [...INITIALIZERS, ...Object.keys(DATA_INITS)];
  if (init !== undefined && !names.includes(init)) {
    throw new UsageError(`init: unknown initializer '${init}' (use ${names.join(', ')})`);
  }
  const dataInit = init !== undefined && init in DATA_INITS ? DATA_INITS[init as keyof typeof DATA_INITS] : undefined;
  const model = buildArchitecture(arch, data, { seed, init: dataInit ? dataInit.base : (init as InitializerName | undefined) });
  if (dataInit) {
    const n = Math.min(DATA_INIT_SAMPLES, data.y.length), f = data.x.shape[1];
    dataDependentInit(model, new Tensor(data.x.data.slice(0, n * f), [n, f]), { method: dataInit.method });
  }
  return model;
}

function buildArchitecture(arch: string, data: Dataset, options: { seed: number; init?: InitializerName }): Sequential {
  const features = data.sampleShape.reduce((a, b) => a * b, 1);
  const needs = (what: string, ok: boolean) => {
    if (!ok) throw new UsageError(`--arch ${arch} needs ${what}, but ${data.name} has samples of shape [${data.sampleShape.join(', ')}] and ${data.classes} classes`);
  };
  if (arch === 'lenet-300-100') {
    needs('784 features and 10 classes', features === 784 && data.classes === 10);
    return lenet300100(options);
  }
  if (arch === 'lenet-5') {
    needs('28×28 single-channel images and 10 classes', features === 784 && data.classes === 10);
    return lenet5(options);
  }
  const match = /^mlp:(\d+(?:-\d+)+)$/.exec(arch);
  if (match) {
    const sizes = match[1].split('-').map(Number);
    if (sizes.some((s) => s < 1 || s > 1e5)) throw new UsageError(`--arch ${arch}: layer sizes must be between 1 and 100000`);
    needs(`${sizes[0]} features and ${sizes[sizes.length - 1]} classes`, sizes[0] === features && sizes[sizes.length - 1] === data.classes);
    return mlp(sizes, options);
  }
  throw new UsageError(`unknown architecture '${arch}' (use ${ARCHITECTURES.join(', ')})`);
}

function sgd(model: Sequential, r: TrainRecipe): SGD {
  return new SGD(model.parameters(), { lr: r.lr, momentum: r.momentum, weightDecay: r.weightDecay });
}

function withProgress(progress: Progress, hooks: TrainerHooks = {}): TrainerHooks {
  return combineHooks(hooks, { afterBatch: (b) => progress.tick(1, `loss ${b.loss.toFixed(3)}`) });
}

function shiftFor(data: Dataset, shift: number): Augmentation | undefined {
  if (shift === 0) return undefined;
  try {
    return randomShift(data.sampleShape, shift);
  } catch (error) {
    if (!(error instanceof ArgumentRangeError)) throw error;
    throw new UsageError(`shift ${shift} needs images wider and taller than ${shift} pixels, but ${data.name} has samples of shape [${data.sampleShape.join(', ')}]`);
  }
}

const batchesPerEpoch = (data: Dataset, batchSize: number) => Math.ceil(data.y.length / batchSize);

/** Trains with SGD + momentum and a cosine learning rate; returns samples per second over the run. */
export function fit(model: Sequential, data: Dataset, r: TrainRecipe, seed: number, progress: Progress, stage: string, hooks: TrainerHooks = {}, regularizers: Regularizer[] = []): { samplesPerSecond: number } {
  if (r.epochs === 0) return { samplesPerSecond: 0 };
  progress.start(stage, r.epochs * batchesPerEpoch(data, r.batchSize));
  const started = process.hrtime.bigint();
  try {
    train(model, data, {
      optimizer: sgd(model, r), schedule: LrSchedule.cosine(r.lr, r.epochs), epochs: r.epochs, batchSize: r.batchSize, seed,
      hooks: withProgress(progress, hooks), regularizers, augment: shiftFor(data, r.shift),
    });
  } catch (error) {
    progress.stop(true);
    throw error;
  }
  progress.stop();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { samplesPerSecond: (r.epochs * data.y.length) / seconds };
}

/** `nm:N:M`: keep N of every M consecutive weights. */
const NM_METHOD = /^nm:(\d+):(\d+)$/;

/** The pruning method a name on the command line stands for (set, rigl, l1 and group-lasso are drivers, handled by pruneModel). */
export function methodFor(name: string, seed: number): PruningMethod {
  const fixed: Record<string, () => PruningMethod> = {
    magnitude: () => magnitude(),
    random: () => randomPruning({ seed }),
    gradient: () => gradientPruning(),
    snip: () => saliency(),
    probabilistic: () => probabilisticMagnitude({ seed }),
    structured: () => lnStructured({ n: 2 }),
    l1: () => magnitude(),
    'group-lasso': () => lnStructured({ n: 2 }),
  };
  if (fixed[name]) return fixed[name]();
  const nmMatch = NM_METHOD.exec(name);
  if (nmMatch) {
    const [n, m] = [Number(nmMatch[1]), Number(nmMatch[2])];
    if (!(n >= 1 && n < m)) throw new UsageError(`prune.method (or --method) ${name}: nm:N:M keeps N of every M weights, 1 <= N < M`);
    return nm({ n, m });
  }
  const blockMatch = /^block:(\d+)x(\d+)$/.exec(name);
  if (blockMatch) {
    const [rows, cols] = [Number(blockMatch[1]), Number(blockMatch[2])];
    if (!(rows >= 1 && cols >= 1)) throw new UsageError(`prune.method (or --method) ${name}: block:RxC needs blocks of at least 1x1`);
    return block({ rows, cols });
  }
  throw new UsageError(`prune.method (or --method): unknown pruning method '${name}' (use ${METHODS.join(', ')})`);
}

const needsGradients = (name: string) => name === 'gradient' || name === 'snip';

export interface CurvePoint {
  sparsity: number;
  accuracy: number;
  label: string;
  /** 'just pruned' right after a pruning step, 'fine-tuned' after training at that sparsity. */
  phase: string;
}

/** Methods that remove whole neurons or filters (the units of lnStructured, the groups of the group lasso). */
const STRUCTURED = new Set(['structured', 'group-lasso']);

/**
 * The pruning section as a method applies it. prune.sparsity is a fraction
 * of weights, while a structured method counts units: pruning each layer to
 * the sparsity removes that fraction of its units and so of its weights (a
 * global ranking of neuron norms across layers of different fan-in emptied
 * fc1 instead). The output layer is left alone: its neurons are the classes.
 */
function asApplied(model: Sequential, r: PruneRecipe): PruneRecipe {
  if (!STRUCTURED.has(r.method)) return r;
  const output = selectTargets(model).at(-1)!.layer;
  return { ...r, scope: 'layer', exclude: r.exclude.includes(output) ? r.exclude : [...r.exclude, output] };
}

/** The scope a method prunes with, as a reader would say it. */
export function appliedScope(r: PruneRecipe): string {
  return STRUCTURED.has(r.method) ? 'each hidden layer' : r.scope;
}

/** Checks the pruning section against the network before any training: the method's name and the layers it names. */
export function checkPruneRecipe(model: Sequential, recipe: PruneRecipe) {
  const r = asApplied(model, recipe);
  const keepsOutput = r === recipe ? '' : ` (${r.method} never prunes the output layer)`;
  try {
    if (!['set', 'rigl'].includes(r.method)) methodFor(r.method, 0);
  } catch (error) {
    // nm:N:M and block:RxC with numbers the method refuses (nm:5:4).
    if (error instanceof ArgumentRangeError) throw new UsageError(`prune.method (or --method) ${r.method}: ${error.message}`);
    throw error;
  }
  const all = selectTargets(model);
  const prunable = new Set(all.flatMap((t) => [t.layer, t.param.name]));
  for (const name of r.exclude) {
    if (!prunable.has(name)) throw new UsageError(`prune.exclude: unknown layer '${name}' (have ${all.map((t) => t.layer).join(', ')})`);
  }
  let targets: Target[];
  try {
    targets = selectTargets(model, { exclude: r.exclude });
  } catch (error) {
    // The names were checked above: what is left to refuse is excluding everything.
    if (error instanceof ArgumentRangeError) throw new UsageError(`prune.exclude: leaves no layer to prune (of ${all.map((t) => t.layer).join(', ')})${keepsOutput}`);
    throw error;
  }
  const nmGroup = NM_METHOD.exec(r.method);
  for (const { param } of nmGroup ? targets : []) {
    const m = Number(nmGroup![2]), cols = param.size / param.shape[0];
    if (cols % m !== 0) throw new UsageError(`prune.method (or --method) ${r.method}: ${param.name} has rows of ${cols} weights, not a multiple of ${m} (exclude the layer, or pick m dividing its row length)`);
  }
  const known = new Set(targets.flatMap((t) => [t.layer, t.param.name]));
  for (const name of Object.keys(r.layers)) {
    if (!known.has(name)) throw new UsageError(`prune.layers.${name}: no such prunable layer (have ${targets.map((t) => t.layer).join(', ')})${keepsOutput}`);
  }
  return targets;
}

/**
 * A line on how the method reads the recipe where it differs from the
 * others (N:M fixes its own sparsity; structured methods prune hidden layers
 * one by one; some methods have no schedule), or null.
 */
export function methodNote(r: PruneRecipe): string | null {
  const nmRatio = NM_METHOD.exec(r.method);
  if (nmRatio) {
    const sparsity = 1 - Number(nmRatio[1]) / Number(nmRatio[2]);
    return `${r.method} keeps ${nmRatio[1]} of every ${nmRatio[2]} weights: ${(sparsity * 100).toFixed(1)}% sparsity; prune.sparsity (${r.sparsity}) does not apply`;
  }
  const unscheduled = r.epochs > 0 && ['set', 'rigl', 'l1', 'group-lasso'].includes(r.method) ? `; prune.schedule (${r.schedule}) does not apply` : '';
  if (STRUCTURED.has(r.method)) {
    return `${r.method} removes whole neurons or filters: each hidden layer loses ${+(r.sparsity * 100).toFixed(2)}% of them, and so of its weights; the output layer keeps its classes${r.scope === 'global' ? '; prune.scope (global) does not apply' : ''}${unscheduled}`;
  }
  if (unscheduled) return `${r.method} ${r.method === 'l1' ? 'trains with the penalty, then cuts' : 'moves connections while it trains'}${unscheduled}`;
  return null;
}

/** Checks that per-layer bit widths name layers of the network, before any training. */
export function checkWidths(model: Sequential, q: QuantizeRecipe): void {
  const weights = model.parameters().filter((p) => p.role === 'weight');
  const known = new Set(['default', ...weights.flatMap((p) => [p.name, layerOfName(p.name)])]);
  for (const [field, option] of [['bits', q.bits], ['indexBits', q.indexBits]] as const) {
    if (typeof option !== 'object' || option === null) continue;
    for (const name of Object.keys(option)) {
      if (!known.has(name)) throw new UsageError(`quantize.${field}.${name}${field === 'bits' ? ' (or --bits)' : ''}: no such layer (have ${weights.map((p) => layerOfName(p.name)).join(', ')}, default)`);
    }
  }
}

/**
 * Prunes to the recipe's sparsity with fine-tuning. `evaluate` is called
 * at each round or epoch and gives the accuracy-vs-sparsity curve.
 */
export function pruneModel(
  model: Sequential, data: Dataset, r: PruneRecipe, seed: number, progress: Progress, evaluate: (label: string, phase: string) => CurvePoint,
): CurvePoint[] {
  const curve: CurvePoint[] = [];
  const targets = checkPruneRecipe(model, r);
  r = asApplied(model, r);
  const scope = { scope: r.scope, exclude: r.exclude, overrides: Object.keys(r.layers).length ? r.layers : undefined };
  if (r.epochs === 0) {
    // No fine-tuning budget: prune straight to the target.
    (r.method === 'set' || r.method === 'rigl' ? magnitude() : methodFor(r.method, seed)).prune(targets, r.sparsity, scope);
    curve.push(evaluate('pruned', 'just pruned'));
    return curve;
  }
  const steps = r.epochs * batchesPerEpoch(data, r.batchSize);
  const perEpoch = { afterEpoch: (e: { epoch: number }) => curve.push(evaluate(`epoch ${e.epoch + 1}`, 'fine-tuned')) };

  if (r.method === 'set' || r.method === 'rigl') {
    // Start from the trained weights pruned by magnitude at the per-layer sparsities the distribution gives; then connections move.
    const saved = snapshot(model);
    const dst = new DynamicSparseTraining(model, { mode: r.method, sparsity: r.sparsity, endStep: Math.floor(steps * 0.75), seed, exclude: r.exclude });
    restore(model, saved);
    magnitude().prune(dst.targets, 0, { overrides: Object.fromEntries(dst.targets.map((t, i) => [t.param.name, dst.sparsities[i]])) });
    curve.push(evaluate('pruned', 'just pruned'));
    fit(model, data, r, seed + 1, progress, `${r.method} training`, combineHooks(dst.hooks, perEpoch));
    return curve;
  }

  const method = methodFor(r.method, seed);
  // Gradient scores need gradients before the first pruning step.
  if (needsGradients(r.method)) collectGradients(model, data, method, { seed, exclude: r.exclude });
  if (r.method === 'l1' || r.method === 'group-lasso') {
    // Learn sparsity with the penalty, cut what went (near) zero, then fine-tune without it.
    const penalty = onlyOn(targets, r.method === 'l1' ? l1(r.strength) : groupLasso(r.strength, 'rows'));
    const regularized = { ...r, epochs: Math.ceil((r.epochs * 2) / 3) };
    fit(model, data, regularized, seed + 1, progress, `${r.method} training`, perEpoch, [penalty]);
    method.prune(targets, r.sparsity, scope);
    curve.push(evaluate('cut', 'just pruned'));
    fit(model, data, { ...r, epochs: r.epochs - regularized.epochs }, seed + 2, progress, 'fine-tuning', perEpoch);
    return curve;
  }

  if (r.schedule === 'iterative') {
    const rounds = r.rounds;
    // The epochs are shared out between the rounds (some get none when there are more rounds than epochs).
    const epochsOf = (round: number) => Math.floor(((round + 1) * r.epochs) / rounds) - Math.floor((round * r.epochs) / rounds);
    iterativePruning(model, {
      ...scope, method, final: r.sparsity, rounds,
      fineTune: (m, round) => {
        curve.push(evaluate(`round ${round + 1} pruned`, 'just pruned'));
        fit(m, data, { ...r, epochs: epochsOf(round) }, seed + 1 + round, progress, `round ${round + 1}/${rounds}`);
        curve.push(evaluate(`round ${round + 1} fine-tuned`, 'fine-tuned'));
        if (needsGradients(r.method) && round + 1 < rounds) collectGradients(m, data, method, { seed: seed + round, exclude: r.exclude });
      },
    });
    return curve;
  }
  const schedule = r.schedule === 'gradual'
    ? polynomialDecay({ final: r.sparsity, end: Math.floor(steps * 0.6), every: Math.max(1, Math.floor(steps / 50)) })
    : oneShot(r.sparsity);
  const pruner = new Pruner(model, { ...scope, method, schedule });
  fit(model, data, r, seed + 1, progress, `${r.schedule} pruning`, combineHooks(pruner.hooks, perEpoch));
  return curve;
}

/** The penalty on the pruned layers only: an excluded layer is left alone. */
function onlyOn(targets: Target[], penalty: Regularizer): Regularizer {
  const chosen = new Set(targets.map((t) => t.param));
  const of = (params: Parameter[]) => params.filter((p) => chosen.has(p));
  return { name: penalty.name, penalty: (ps) => penalty.penalty(of(ps)), addGradient: (ps) => penalty.addGradient(of(ps)) };
}

/** k-means weight sharing and centroid fine-tuning. */
export function quantizeModel(model: Sequential, data: Dataset, r: QuantizeRecipe, seed: number, batchSize: number, progress: Progress, exclude: string[] = []): SharedWeights {
  const shared = shareWeights(model, { bits: r.bits, init: r.init, seed, exclude });
  if (r.epochs > 0) {
    progress.start('centroid fine-tuning', r.epochs * batchesPerEpoch(data, batchSize));
    try {
      fineTuneCentroids(model, shared, data, { epochs: r.epochs, lr: r.lr, batchSize, seed: seed + 7, hooks: withProgress(progress) });
    } catch (error) {
      progress.stop(true);
      throw error;
    }
    progress.stop();
  }
  return shared;
}

/** Copies of the prunable weights, for the report's histograms and sparsity maps. */
export function weightSnapshot(model: Sequential): { name: string; shape: readonly number[]; values: Float32Array }[] {
  return model.parameters().filter((p: Parameter) => p.role === 'weight').map((p) => ({ name: p.name, shape: p.shape, values: p.value.data.slice() }));
}

