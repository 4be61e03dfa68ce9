/**
 * A Pruner applies a method on a schedule while a model trains: plug its
 * hooks into train(). Per-layer overrides ramp with the schedule
 * (override · s(t) / s_final), so every layer reaches its own final
 * sparsity when the schedule ends.
 */
import { Sequential } from '../nn/sequential';
import { TrainerHooks } from '../train/trainer';
import { optionsObject } from '../validate';
import { assertMethod, assertSchedule } from './checks';
import { PruneReport, PruningMethod, assertScope, report } from './method';
import { PruningSchedule } from './schedules';
import { ScopeOptions, Target, checkOverrides, rampOverrides, selectTargets } from './targets';

export interface PrunerOptions extends ScopeOptions {
  method: PruningMethod;
  schedule: PruningSchedule;
}

export class Pruner {
  readonly targets: Target[];
  readonly history: { step: number; report: PruneReport }[] = [];
  readonly hooks: TrainerHooks;

  constructor(
    readonly model: Sequential,
    private readonly options: PrunerOptions,
  ) {
    this.options = options = optionsObject('options', options);
    // method and schedule are first used inside training hooks: a bad one must fail here, not mid-training.
    assertMethod('options.method', options.method);
    assertSchedule('options.schedule', options.schedule);
    assertScope(options.scope);
    this.targets = selectTargets(model, options);
    checkOverrides(this.targets, options.overrides);
    const { method, schedule } = options;
    this.hooks = {
      beforeBatch: ({ step }) => {
        const target = step === 0 ? schedule.at(0) : null;
        // Pruning to 0 changes nothing (steps never revive), and gradient methods have no gradients yet.
        if (target !== null && target > 0) this.pruneTo(target, 0);
      },
      afterBackward: method.observe ? () => method.observe!(this.targets) : undefined,
      afterBatch: ({ step }) => {
        const target = schedule.at(step + 1);
        if (target !== null && target > 0) this.pruneTo(target, step + 1);
      },
    };
  }

  /** Prunes to a sparsity now (the schedule's final sparsity scales the overrides). */
  pruneTo(sparsity: number, step = 0): PruneReport {
    const { method, schedule, overrides } = this.options;
    method.prune(this.targets, sparsity, { ...this.options, overrides: rampOverrides(overrides, sparsity, schedule.final) });
    const r = report(method.name, this.targets);
    this.history.push({ step, report: r });
    return r;
  }
}
