/**
 * Argument checks shared by the pruning modules: pruning methods and
 * schedules (models: nn/sequential.ts; target lists: targets.ts), in validate.ts's style
 * ("Expected {what} for {name} but received {actual}").
 */
import { NonFiniteError } from '../errors';
import { firstNonFinite } from '../kernels/elementwise';
import { assertFunction, assertObject, assertOptionalFunction } from '../validate';
import type { PruningMethod } from './method';
import type { PruningSchedule } from './schedules';
import { Target, assertAmount } from './targets';

/** An object with a prune() function (and, if any, an observe() function). */
export function assertMethod(name: string, value: unknown): asserts value is PruningMethod {
  assertObject(name, value, 'a pruning method (an object with a prune function)');
  assertFunction(`${name}.prune`, (value as PruningMethod).prune);
  assertOptionalFunction(`${name}.observe`, (value as PruningMethod).observe);
}

/** An object with an at() function and a final amount. */
export function assertSchedule(name: string, value: unknown): asserts value is PruningSchedule {
  assertObject(name, value, 'a pruning schedule (an object with an at function)');
  assertFunction(`${name}.at`, (value as PruningSchedule).at);
  assertAmount(`${name}.final`, (value as PruningSchedule).final);
}

/**
 * Every target's weights finite, all checked before any is pruned: a method
 * whose scores never read the weights (random, gradient) would keep a NaN.
 */
export function assertFiniteWeights(targets: Target[]): void {
  for (const { param } of targets) {
    const bad = firstNonFinite(param.value.data);
    if (bad >= 0) throw new NonFiniteError(`Expected finite values for ${param.name} but received ${param.value.data[bad]} at index ${bad}`);
  }
}
