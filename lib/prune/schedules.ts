/**
 * Pruning schedules: when to prune and to what sparsity, by optimizer step
 * (the number of steps completed). at(step) is the target sparsity to prune
 * to after that many steps, or null when no pruning happens then.
 *   oneShot            once, at `step` (default: at the start)
 *   constantSparsity   hold one sparsity, re-applied every `every` steps
 *                      (TensorFlow's ConstantSparsity)
 *   polynomialDecay    s_f + (s_i − s_f)(1 − (t − t0)/(t1 − t0))^power every
 *                      `every` steps from t0 to t1 (Zhu & Gupta,
 *                      arXiv 1710.01878; TensorFlow's PolynomialDecay)
 *   decayingFrequency  prune after 1 step, then 2 more, then 4, … (the
 *                      seeds' schedule), sparsity rising polynomially over
 *                      the `events` prunings
 * iterativeSparsities gives the per-round targets of Han et al.'s
 * prune → fine-tune rounds (see iterative.ts).
 */
import { ArgumentRangeError } from '../errors';
import { assertInRange, assertInteger, describe, expected, optionsObject } from '../validate';
import { assertSparsity } from './targets';

/** Most rounds iterativeSparsities gives (rounds, or those perRound needs). */
const MAX_ROUNDS = 1000;

export interface PruningSchedule {
  readonly name: string;
  /** The final sparsity the schedule reaches. */
  readonly final: number;
  at(step: number): number | null;
}

export function oneShot(sparsity: number, step = 0): PruningSchedule {
  assertSparsity('sparsity', sparsity);
  assertInteger('step', step, 0);
  return { name: `one-shot ${sparsity}`, final: sparsity, at: (s) => (s === step ? sparsity : null) };
}

export function constantSparsity(sparsity: number, options: { begin?: number; every?: number; end?: number } = {}): PruningSchedule {
  const { begin = 0, every = 100, end = Infinity } = optionsObject('options', options, ['begin', 'every', 'end']);
  assertSparsity('sparsity', sparsity);
  assertInteger('options.begin', begin, 0);
  assertInteger('options.every', every, 1);
  if (end !== Infinity) assertInteger('options.end', end, begin);
  return {
    name: `constant ${sparsity}`,
    final: sparsity,
    at: (s) => (s >= begin && s <= end && (s - begin) % every === 0 ? sparsity : null),
  };
}

export interface PolynomialDecayOptions {
  initial?: number;
  final: number;
  begin?: number;
  end: number;
  every?: number;
  power?: number;
}

function polynomial(initial: number, final: number, t: number, power: number): number {
  return final + (initial - final) * (1 - Math.min(1, Math.max(0, t))) ** power;
}

export function polynomialDecay(options: PolynomialDecayOptions): PruningSchedule {
  const { initial = 0, final, begin = 0, end, every = 100, power = 3 } = optionsObject('options', options, ['initial', 'final', 'begin', 'end', 'every', 'power']);
  assertSparsity('options.initial', initial);
  assertSparsity('options.final', final);
  if (final < initial) throw new ArgumentRangeError(expected(`at least options.initial (${initial})`, 'options.final', String(final)));
  assertInteger('options.begin', begin, 0);
  assertInteger('options.end', end, begin + 1);
  assertInteger('options.every', every, 1);
  // Power 0 would hold the initial sparsity to the end and never prune.
  assertInRange('options.power', power, 0, 100, { minExclusive: true });
  return {
    name: `polynomial ${initial}→${final}`,
    final,
    at: (s) => {
      if (s < begin || s > end) return null;
      if ((s - begin) % every !== 0 && s !== end) return null;
      return polynomial(initial, final, (s - begin) / (end - begin), power);
    },
  };
}

export function decayingFrequency(options: { initial?: number; final: number; events: number; power?: number }): PruningSchedule {
  const { initial = 0, final, events, power = 3 } = optionsObject('options', options, ['initial', 'final', 'events', 'power']);
  assertSparsity('options.initial', initial);
  assertSparsity('options.final', final);
  assertInteger('options.events', events, 1, 52);
  // Power 0 would hold the initial sparsity to the end and never prune.
  assertInRange('options.power', power, 0, 100, { minExclusive: true });
  // Event j happens once 2^(j+1) − 1 steps are done: gaps of 1, 2, 4, … steps.
  return {
    name: `decaying frequency ${initial}→${final}`,
    final,
    at: (s) => {
      const j = Math.log2(s + 1) - 1;
      if (!Number.isInteger(j) || j < 0 || j >= events) return null;
      return events === 1 ? final : polynomial(initial, final, j / (events - 1), power);
    },
  };
}

/**
 * Targets of iterative pruning rounds. With perRound, each round prunes that
 * fraction of the remaining weights (Frankle & Carbin use 0.2) until final
 * is reached; otherwise `rounds` rounds keep the same fraction each.
 */
export function iterativeSparsities(options: { final: number; rounds?: number; perRound?: number }): number[] {
  const { final, rounds, perRound } = optionsObject('options', options, ['final', 'rounds', 'perRound']);
  assertSparsity('options.final', final);
  if (perRound !== undefined) {
    assertInRange('options.perRound', perRound, 0, 1, { minExclusive: true, maxExclusive: true });
    // (1 − perRound)^r ≤ 1 − final: counted first, as a tiny perRound would loop (or fill memory) without end.
    const needed = Math.log1p(-final) / Math.log1p(-perRound);
    if (!(needed <= MAX_ROUNDS)) {
      throw new ArgumentRangeError(
        expected(`a fraction that reaches options.final (${final}) in at most ${MAX_ROUNDS} rounds`, 'options.perRound', describe(perRound)),
      );
    }
    const out: number[] = [];
    let kept = 1;
    while (1 - kept < final - 1e-12) {
      kept *= 1 - perRound;
      out.push(Math.min(final, 1 - kept));
    }
    return out;
  }
  assertInteger('options.rounds', rounds ?? 5, 1, MAX_ROUNDS);
  const r = rounds ?? 5;
  return Array.from({ length: r }, (_, i) => 1 - (1 - final) ** ((i + 1) / r));
}
