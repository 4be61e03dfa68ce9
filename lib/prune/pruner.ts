/**
 * A Pruner applies a method on a schedule while a model trains: plug its
 * hooks into train(). Per-layer overrides ramp with the schedule
 * (override · s(t) / s_final), so every layer reaches its own final
 * sparsity when the schedule ends.
 */
import { applyMask } from '../kernels/mask';
import { Sequential } from '../nn/sequential';
import { TrainerHooks } from '../train/trainer';
import { optionsObject } from '../validate';
import { assertMethod, assertSchedule } from './checks';
import { PruneReport, PruningMethod, assertScope, report } from './method';
import { PruningSchedule } from './schedules';
import { SCOPE_OPTIONS, ScopeOptions, Target, checkOverrides, rampOverrides, selectTargets } from './targets';

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
    this.options = options = optionsObject('options', options, [...SCOPE_OPTIONS, 'method', 'schedule']);
    // method and schedule are first used inside training hooks: a bad one must fail here, not mid-training.
    assertMethod('options.method', options.method);
    assertSchedule('options.schedule', options.schedule);
    assertScope(options.scope);
    this.targets = selectTargets(model, options);
    checkOverrides(this.targets, options.overrides);
    const { method, schedule } = options;
    const atStart = () => {
      const target = schedule.at(0);
      // Pruning to 0 changes nothing (steps never revive).
      if (target !== null && target > 0) this.pruneTo(target, 0);
    };
    // A method that scores by gradients has none before the first backward
    // pass: it prunes a step-0 target once that batch's gradients are seen
    // (SNIP's one batch at initialization), before the step, which then
    // leaves the pruned weights at zero.
    const observe = method.observe;
    this.hooks = {
      beforeBatch: ({ step }) => {
        if (step === 0 && !observe) atStart();
      },
      afterBackward: observe ? ({ step }) => {
        observe(this.targets);
        if (step !== 0) return;
        atStart();
        for (const { param } of this.targets) if (param.mask) applyMask(param.grad.data, param.mask);
      } : undefined,
      afterBatch: ({ step }) => {
        const target = schedule.at(step + 1);
        if (target !== null && target > 0) this.pruneTo(target, step + 1);
      },
    };
  }

  /** Prunes to a sparsity now (the schedule's final sparsity scales the overrides). */
  pruneTo(sparsity: number, step = 0): PruneReport {
    const { method, schedule, overrides } = this.options;
    method.prune(this.targets, sparsity, { scope: this.options.scope, overrides: rampOverrides(overrides, sparsity, schedule.final) });
    const r = report(method.name, this.targets);
    this.history.push({ step, report: r });
    return r;
  }
}
