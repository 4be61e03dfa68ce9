/**
 * Learning-rate schedules: small serialisable objects mapping an epoch to a
 * learning rate.
 *   constant  lr
 *   step      lr · gamma^floor(epoch / every)
 *   cosine    min + (lr − min) · (1 + cos(π · epoch / epochs)) / 2   (Loshchilov & Hutter, arXiv 1608.03983, without restarts)
 *             and min past `epochs` (torch's CosineAnnealingLR climbs back up the cosine there)
 */
import { ArgumentRangeError } from '../errors';
import { assertInRange, assertInteger, expected, quoted } from '../validate';

export type LrScheduleSpec =
  | { kind: 'constant'; lr: number }
  | { kind: 'step'; lr: number; every: number; gamma: number }
  | { kind: 'cosine'; lr: number; epochs: number; min?: number };

export class LrSchedule {
  private constructor(readonly spec: LrScheduleSpec) {}

  static constant(lr: number): LrSchedule {
    return LrSchedule.fromJSON({ kind: 'constant', lr });
  }
  static step(lr: number, every: number, gamma = 0.1): LrSchedule {
    return LrSchedule.fromJSON({ kind: 'step', lr, every, gamma });
  }
  static cosine(lr: number, epochs: number, min = 0): LrSchedule {
    return LrSchedule.fromJSON({ kind: 'cosine', lr, epochs, min });
  }

  static fromJSON(spec: LrScheduleSpec): LrSchedule {
    if (!['constant', 'step', 'cosine'].includes(spec?.kind)) {
      throw new ArgumentRangeError(expected("'constant', 'step' or 'cosine'", 'kind', quoted((spec as { kind?: unknown })?.kind)));
    }
    assertInRange('lr', spec.lr, 0, Infinity, { minExclusive: true });
    switch (spec.kind) {
      case 'constant':
        break;
      case 'step':
        assertInteger('every', spec.every, 1);
        assertInRange('gamma', spec.gamma, 0, 1);
        break;
      case 'cosine':
        assertInteger('epochs', spec.epochs, 1);
        assertInRange('min', spec.min ?? 0, 0, spec.lr);
        break;
    }
    return new LrSchedule({ ...spec });
  }

  toJSON(): LrScheduleSpec {
    return { ...this.spec };
  }

  /** The learning rate for a 0-based epoch. */
  at(epoch: number): number {
    assertInteger('epoch', epoch, 0);
    const s = this.spec;
    switch (s.kind) {
      case 'constant':
        return s.lr;
      case 'step':
        return s.lr * s.gamma ** Math.floor(epoch / s.every);
      case 'cosine': {
        const min = s.min ?? 0;
        const t = Math.min(epoch, s.epochs) / s.epochs;
        return min + ((s.lr - min) * (1 + Math.cos(Math.PI * t))) / 2;
      }
    }
  }
}
