/**
 * The training loop: seeded mini-batches, epochs, hooks (pruning schedules
 * attach here), progress events, evaluation each epoch, and a typed error
 * that stops training when the loss stops being finite.
 */
import { ArgumentRangeError, ArgumentTypeError, NonFiniteError } from '../errors';
import { Augmentation } from '../data/augment';
import { Dataset, batches, checkDataset } from '../data/dataset';
import { firstNonFinite } from '../kernels/elementwise';
import { Random } from '../random';
import { Evaluation, Sequential, assertModel, assertScoresFor } from '../nn/sequential';
import { outputSize } from '../nn/sizes';
import {
  assertFunction, assertInRange, assertInteger, assertObject, assertOptionalFunction, describe, expected,
  optionsObject,
} from '../validate';
import { Adam } from './adam';
import { Optimizer, assertFiniteGradients, assertParameters, clipGradNorm } from './optimizer';
import { Regularizer } from './regularizers';
import { LrSchedule } from './schedule';
import { SGD } from './sgd';

export interface BatchContext {
  epoch: number;
  batch: number;
  /** Optimizer steps taken before this batch, over all epochs. */
  step: number;
  model: Sequential;
}

export interface BatchResult extends BatchContext {
  loss: number;
}

export interface EpochResult {
  epoch: number;
  /** Mean training loss (data term) over the epoch's batches. */
  loss: number;
  /** The regularizers' penalty at the epoch's last batch, before its optimizer step (0 without regularizers). */
  penalty: number;
  /** Training accuracy over the epoch (as the weights moved). */
  accuracy: number;
  validation?: Evaluation;
  seconds: number;
  samplesPerSecond: number;
}

export interface TrainerHooks {
  beforeBatch?(ctx: BatchContext): void;
  /**
   * After back-propagation and the regularizers, before gradient clipping
   * and the optimizer step: gradients are current, and what a hook does to
   * them is clipped too. Dynamic sparse training takes RigL's grow scores
   * here and moves connections in afterBatch.
   */
  afterBackward?(ctx: BatchContext): void;
  /** After the optimizer step. */
  afterBatch?(result: BatchResult): void;
  afterEpoch?(result: EpochResult, model: Sequential): void;
  /**
   * When a batch fails (a NaN loss, a hook's or the optimizer's error),
   * before train() rethrows it: a hook set undoes what its beforeBatch
   * started (dynamic sparse training restores the masks it lifted).
   */
  afterError?(ctx: BatchContext, error: unknown): void;
}

export interface TrainOptions {
  optimizer: Optimizer;
  /** Sets the optimizer's learning rate at the start of each epoch. */
  schedule?: LrSchedule;
  /** Clips the global gradient norm to this value before each step. */
  clipNorm?: number;
  /** Loss terms whose gradients are added before each step. */
  regularizers?: Regularizer[];
  epochs: number;
  batchSize?: number;
  /** Seed of the shuffling; epoch e uses seed + e. */
  seed?: number;
  /** Evaluated after each epoch (never the test split when tuning). */
  validation?: Dataset;
  hooks?: TrainerHooks;
  /**
   * Applied to every training batch in place (e.g. randomShift); its generator
   * is seeded from seed and the epoch. The batch's memory is reused by the
   * next batch, so an augmentation that keeps samples across batches (mixup
   * from a pool, say) must copy them.
   */
  augment?: Augmentation;
}

const HOOKS = ['beforeBatch', 'afterBackward', 'afterBatch', 'afterEpoch', 'afterError'] as const;

/** A hook set: an object whose hooks, where given, are functions; a function under another name is a misspelt hook. */
function checkHooks(name: string, hooks: TrainerHooks | undefined): TrainerHooks {
  const given = optionsObject(name, hooks);
  for (const hook of HOOKS) assertOptionalFunction(`${name}.${hook}`, given[hook]);
  for (const [key, value] of Object.entries(given)) {
    if (typeof value === 'function' && !(HOOKS as readonly string[]).includes(key)) {
      throw new ArgumentRangeError(`${name}.${key}: not a hook (hooks: ${HOOKS.join(', ')}); it would never run`);
    }
  }
  return given;
}

/** Everything train() is given, checked before the first step so that a bad option never leaves a half-trained model. */
function checkTrainArguments(model: Sequential, data: Dataset, options: TrainOptions): void {
  assertModel('model', model);
  checkDataset(data, 'data');
  const { optimizer, epochs, batchSize = 64, seed = 0, validation, hooks = {}, schedule, clipNorm, regularizers = [], augment } =
    optionsObject('options', options, ['optimizer', 'schedule', 'clipNorm', 'regularizers', 'epochs', 'batchSize', 'seed', 'validation', 'hooks', 'augment']);
  assertObject('options.optimizer', optimizer, 'an optimizer (SGD, Adam, AdamW)');
  assertFunction('options.optimizer.step', optimizer.step);
  assertParameters('options.optimizer.params', optimizer.params);
  // An optimizer over none of the model's parameters (another model's, say) would leave this one as it is, unless an
  // afterBackward hook gives its parameters gradients (fineTuneCentroids' codebooks).
  const own = new Set(model.parameters());
  const givenHooks = checkHooks('options.hooks', hooks);
  if (optimizer.params.length > 0 && !optimizer.params.some((p) => own.has(p)) && givenHooks.afterBackward === undefined) {
    throw new ArgumentRangeError(expected(
      'an optimizer over parameters of the model being trained (or an afterBackward hook that gives its own parameters gradients)',
      'options.optimizer.params', `${optimizer.params[0].name}${optimizer.params.length > 1 ? ' and others' : ''}, none of which the model holds`,
    ));
  }
  if (augment !== undefined && typeof augment !== 'function') throw new ArgumentTypeError(expected('a function (batch, rng) => void', 'augment', describe(augment)));
  assertInteger('epochs', epochs, 0);
  assertInteger('batchSize', batchSize, 1);
  assertInteger('seed', seed, 0, 2 ** 32 - 1);
  if (validation !== undefined) checkDataset(validation, 'options.validation');
  const scores = outputSize(model.layers);
  if (scores !== undefined) for (const ds of validation ? [data, validation] : [data]) assertScoresFor(ds, scores);
  if (schedule !== undefined && !(schedule instanceof LrSchedule)) {
    throw new ArgumentTypeError(expected('an LrSchedule', 'options.schedule', describe(schedule)));
  }
  // A rate that reaches 0 (a cosine over fewer epochs than trained) would fail at that epoch, after the others changed the model.
  for (let epoch = 0; schedule !== undefined && epoch < epochs; epoch++) {
    const lr = schedule.at(epoch);
    if (!(lr > 0 && Number.isFinite(lr))) {
      throw new ArgumentRangeError(expected('a learning rate above 0 at every epoch trained', 'options.schedule', `${lr} at epoch ${epoch + 1} of ${epochs}`));
    }
  }
  if (clipNorm !== undefined) assertInRange('clipNorm', clipNorm, 0, Infinity, { minExclusive: true });
  if (!Array.isArray(regularizers)) throw new ArgumentTypeError(expected('an array of regularizers', 'options.regularizers', describe(regularizers)));
  regularizers.forEach((r, i) => assertFunction(`options.regularizers[${i}].addGradient`, (r as Partial<Regularizer> | null)?.addGradient));
}

function assertFiniteWeights(model: Sequential, epoch: number): void {
  for (const p of model.parameters()) {
    if (firstNonFinite(p.value.data) >= 0) {
      throw new NonFiniteError(`weights of ${p.name} became non-finite during epoch ${epoch + 1}; lower the learning rate or check the data`);
    }
  }
}

export function train(model: Sequential, data: Dataset, options: TrainOptions): EpochResult[] {
  checkTrainArguments(model, data, options);
  const { optimizer, epochs, batchSize = 64, seed = 0, validation, hooks = {}, schedule, clipNorm, regularizers = [], augment } = options;
  const history: EpochResult[] = [];
  // The built-in steps check their gradients; any other step (a subclass's override too) is checked here.
  const checksItsGradients = optimizer.step === SGD.prototype.step || optimizer.step === Adam.prototype.step;
  let step = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    if (schedule) optimizer.lr = schedule.at(epoch);
    const started = process.hrtime.bigint();
    let lossSum = 0, correct = 0, seen = 0, batch = 0, penalty = 0;
    // Its own stream: augmenting does not change the shuffling.
    const augmentRng = augment ? new Random(((seed + epoch) * 0x9e3779b1 + 0x2545f491) >>> 0) : null;
    for (const b of batches(data, batchSize, { seed: (seed + epoch) % 2 ** 32, reuse: true })) {
      const ctx = { epoch, batch, step, model };
      try {
        if (augment && augmentRng) augment(b.x, augmentRng);
        hooks.beforeBatch?.(ctx);
        const r = model.lossAndGradients(b.x, b.y);
        if (!Number.isFinite(r.loss)) {
          throw new NonFiniteError(`training loss became ${r.loss} at epoch ${epoch + 1}, batch ${batch + 1}; lower the learning rate or check the data`);
        }
        penalty = 0;
        for (const r of regularizers) penalty += r.addGradient(optimizer.params);
        if (!Number.isFinite(penalty)) {
          throw new NonFiniteError(`regularization penalty became ${penalty} at epoch ${epoch + 1}, batch ${batch + 1}; lower its strength or the learning rate`);
        }
        hooks.afterBackward?.(ctx);
        try {
          // Clipped last, as the optimizer will see them: after the hooks, which may give
          // gradients (fineTuneCentroids' codebooks) or mask them again (RigL's update batches).
          if (clipNorm !== undefined) clipGradNorm(optimizer.params, clipNorm);
          if (!checksItsGradients) assertFiniteGradients(optimizer.params, 'train()');
          optimizer.step();
        } catch (e) {
          if (e instanceof NonFiniteError) throw new NonFiniteError(`${e.message} (epoch ${epoch + 1}, batch ${batch + 1}); lower the learning rate or check the data`);
          throw e;
        }
        hooks.afterBatch?.({ ...ctx, loss: r.loss });
        lossSum += r.loss * b.y.length;
        correct += r.correct;
      } catch (error) {
        try {
          hooks.afterError?.(ctx, error);
        } catch {
          // the batch's own error is the one to report
        }
        throw error;
      }
      seen += b.y.length;
      batch++;
      step++;
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    // A step that overflowed shows in the next batch's loss, except the epoch's last one.
    assertFiniteWeights(model, epoch);
    const result: EpochResult = {
      epoch,
      loss: seen ? lossSum / seen : 0,
      penalty,
      accuracy: seen ? correct / seen : 0,
      seconds,
      samplesPerSecond: seconds > 0 ? seen / seconds : 0,
      ...(validation ? { validation: model.evaluate(validation) } : {}),
    };
    history.push(result);
    hooks.afterEpoch?.(result, model);
  }
  return history;
}

/** Several hook sets run as one, in the order given. */
export function combineHooks(...sets: TrainerHooks[]): TrainerHooks {
  sets = sets.map((h, i) => checkHooks(`sets[${i}]`, h));
  return {
    beforeBatch: (ctx) => sets.forEach((h) => h.beforeBatch?.(ctx)),
    afterBackward: (ctx) => sets.forEach((h) => h.afterBackward?.(ctx)),
    afterBatch: (r) => sets.forEach((h) => h.afterBatch?.(r)),
    afterEpoch: (r, m) => sets.forEach((h) => h.afterEpoch?.(r, m)),
    // Every set gets to clean up, even when another's cleanup fails.
    afterError: (ctx, error) => sets.forEach((h) => {
      try {
        h.afterError?.(ctx, error);
      } catch {
        // train() reports the batch's own error
      }
    }),
  };
}
