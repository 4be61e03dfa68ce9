/**
 * SGD with momentum, Nesterov and weight decay (torch.optim.SGD semantics),
 * through the native masked update: pruned weights and their momentum stay
 * exactly zero.
 */
import { ArgumentRangeError } from '../errors';
import { maskedSgdStep } from '../kernels/mask';
import { Parameter } from '../nn/parameter';
import { assertBoolean, assertInRange, expected, optionsObject } from '../validate';
import { Optimizer, assertFiniteGradients, assertParameters } from './optimizer';

export interface SgdConfig {
  lr: number;
  momentum?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

export class SGD implements Optimizer {
  readonly params: Parameter[];
  lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  private readonly velocity = new Map<Parameter, Float32Array>();

  constructor(
    params: Parameter[],
    config: SgdConfig,
  ) {
    assertParameters('params', params);
    this.params = [...params];
    config = optionsObject('config', config, ['lr', 'momentum', 'weightDecay', 'nesterov']);
    assertInRange('lr', config.lr, 0, Infinity, { minExclusive: true });
    this.lr = config.lr;
    this.momentum = config.momentum ?? 0;
    this.weightDecay = config.weightDecay ?? 0;
    this.nesterov = config.nesterov ?? false;
    assertInRange('momentum', this.momentum, 0, 1, { maxExclusive: true });
    assertBoolean('nesterov', this.nesterov);
    // As in PyTorch: Nesterov's look-ahead is a momentum method.
    if (this.nesterov && this.momentum === 0) throw new ArgumentRangeError(expected('a momentum above 0 for Nesterov', 'momentum', 'the number 0'));
    assertInRange('weightDecay', this.weightDecay, 0, Infinity);
  }

  step(): void {
    assertFiniteGradients(this.params, `${this.constructor.name}.step()`);
    for (const p of this.params) {
      let v = this.velocity.get(p);
      if (this.momentum > 0 && v === undefined) {
        v = new Float32Array(p.size);
        this.velocity.set(p, v);
      }
      maskedSgdStep(
        { weights: p.value.data, grad: p.grad.data, velocity: v, mask: p.mask ?? undefined },
        { lr: this.lr, momentum: this.momentum, weightDecay: this.weightDecay, nesterov: this.nesterov },
      );
      p.touch();
    }
  }
}
