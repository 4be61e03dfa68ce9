/**
 * Lottery tickets (Frankle & Carbin, arXiv 1803.03635): iterative magnitude
 * pruning, per layer, where after each round the surviving weights are
 * rewound to their initial values (or to their values after `rewindStep`
 * optimizer steps, Frankle et al. arXiv 1903.01611) and retrained. Two
 * controls show the initialization matters: the same mask with a fresh
 * random initialization ('reinit') and a random mask of the same per-layer
 * sparsity from the ticket's own starting values: the original
 * initialization, or the rewind point with `rewindStep` ('random-mask').
 * The output layer (pruned at `outputRate`) is the model's last weighted
 * layer, when it is among the layers pruned.
 */
import { Sequential, assertModel } from '../nn/sequential';
import { TrainerHooks } from '../train/trainer';
import { ArgumentRangeError, ArgumentTypeError } from '../errors';
import { assertFunction, assertInRange, assertInteger, describe, expected, optionsObject, quoted } from '../validate';
import { magnitude } from './magnitude';
import { report } from './method';
import { randomPruning } from './random';
import { Snapshot, rewind, snapshot } from './snapshot';
import { TARGET_OPTIONS, TargetOptions, Target, selectTargets } from './targets';

export type LotteryControl = 'reinit' | 'random-mask';

export interface LotteryOptions extends TargetOptions {
  /** Builds the network from an initialization seed. */
  build: (seed: number) => Sequential;
  seed?: number;
  /** Trains a model with the fixed recipe; must pass `hooks` on to train(). */
  trainModel: (model: Sequential, hooks: TrainerHooks) => void;
  /** The accuracy to report (a validation split when choosing hyperparameters). */
  evaluate: (model: Sequential) => number;
  rounds: number;
  /** Fraction of each layer's remaining weights pruned per round (paper: 0.2). */
  perRound?: number;
  /** Rate for the output layer (paper: half of perRound). */
  outputRate?: number;
  rewindStep?: number;
  controls?: LotteryControl[];
}

export interface LotteryRound {
  round: number;
  /** Fraction of the pruned layers' weights that are pruned. */
  sparsity: number;
  ticket: number;
  reinit?: number;
  randomMask?: number;
}

function layerSparsity(rate: number, round: number): number {
  return 1 - (1 - rate) ** round;
}

function copyMasks(from: Target[], to: Target[]): void {
  from.forEach((t, i) => to[i].param.setMask(t.param.mask ? t.param.mask.slice() : null));
}

export function lotteryTicket(options: LotteryOptions): { dense: number; rounds: LotteryRound[] } {
  options = optionsObject('options', options, [...TARGET_OPTIONS, 'build', 'seed', 'trainModel', 'evaluate', 'rounds', 'perRound', 'outputRate', 'rewindStep', 'controls']);
  const { build, seed = 0, trainModel, evaluate, rounds, perRound = 0.2, rewindStep = 0, controls = ['reinit', 'random-mask'] } = options;
  // All checked before any training: the callbacks run only after a build and a full training run.
  assertFunction('options.build', build);
  assertFunction('options.trainModel', trainModel);
  assertFunction('options.evaluate', evaluate);
  assertInteger('options.seed', seed, 0, 2 ** 32 - 1 - 100); // the random-mask control seeds a Random with seed + round
  assertInteger('options.rounds', rounds, 1, 100);
  assertInRange('options.perRound', perRound, 0, 1, { minExclusive: true, maxExclusive: true });
  const outputRate = options.outputRate ?? perRound / 2;
  assertInRange('options.outputRate', outputRate, 0, 1, { maxExclusive: true });
  assertInteger('options.rewindStep', rewindStep, 0);
  if (!Array.isArray(controls)) throw new ArgumentTypeError(expected("an array of 'reinit' / 'random-mask'", 'options.controls', describe(controls)));
  controls.forEach((c, i) => {
    if (c !== 'reinit' && c !== 'random-mask') throw new ArgumentRangeError(expected("'reinit' or 'random-mask'", `options.controls[${i}]`, quoted(c)));
  });

  const model = build(seed);
  assertModel('the model options.build returned', model);
  const targets = selectTargets(model, options);
  // The model's output layer, when it is pruned at all: not the last layer
  // pruned (with the output layer excluded, a hidden layer got its rate).
  const outputName = selectTargets(model, {}).at(-1)!.param.name;
  const output = targets.find((t) => t.param.name === outputName);
  let start: Snapshot | null = rewindStep === 0 ? snapshot(model) : null;
  let steps = 0;
  const capture: TrainerHooks = {
    // Counted here: trainModel may call train() more than once, and each call numbers its steps from 0.
    afterBatch: () => {
      steps++;
      if (start === null && steps === rewindStep) start = snapshot(model);
    },
  };
  trainModel(model, capture);
  // Rewinding to the trained weights would be plain fine-tuning, not a ticket.
  if (start === null) {
    throw new ArgumentRangeError(steps === 0
      ? `options.rewindStep is ${rewindStep}, but options.trainModel ran no batch through the hooks it was given (pass them on to train())`
      : `options.rewindStep is ${rewindStep}, but options.trainModel trained ${steps} steps`);
  }
  const rewindTo: Snapshot = start;
  const dense = evaluate(model);
  const method = magnitude();
  const results: LotteryRound[] = [];
  for (let r = 1; r <= rounds; r++) {
    const overrides = output ? { [output.param.name]: layerSparsity(outputRate, r) } : {};
    method.prune(targets, layerSparsity(perRound, r), { overrides });
    const pruned = report(method.name, targets);
    rewind(model, rewindTo);
    trainModel(model, {});
    const row: LotteryRound = { round: r, sparsity: pruned.sparsity, ticket: evaluate(model) };

    if (controls.includes('reinit')) {
      const fresh = build(seed + 7919 * r);
      copyMasks(targets, selectTargets(fresh, options));
      trainModel(fresh, {});
      row.reinit = evaluate(fresh);
    }
    if (controls.includes('random-mask')) {
      const shuffled = build(seed);
      rewind(shuffled, rewindTo);
      const t2 = selectTargets(shuffled, options);
      // Counts, not fractions: a fully pruned layer's sparsity 1 would read as a count of one weight.
      const perLayer = Object.fromEntries(pruned.layers.map((l) => [l.name, l.pruned]));
      randomPruning({ seed: seed + r }).prune(t2, 0, { overrides: perLayer });
      trainModel(shuffled, {});
      row.randomMask = evaluate(shuffled);
    }
    results.push(row);
  }
  return { dense, rounds: results };
}
