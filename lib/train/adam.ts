/**
 * Adam (Kingma & Ba, arXiv 1412.6980) and AdamW (Loshchilov & Hutter, arXiv
 * 1711.05101) with torch.optim semantics, through a native masked update:
 * pruned weights and both moments stay exactly zero.
 */
import { native } from '../native';
import { Parameter } from '../nn/parameter';
import { assertBoolean, assertInRange, optionsObject } from '../validate';
import { Optimizer, assertFiniteGradients, assertParameters } from './optimizer';

export interface AdamConfig {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** AdamW: decay the weights directly instead of adding L2 to the gradient. */
  decoupled?: boolean;
}

const ADAM_OPTIONS = ['lr', 'beta1', 'beta2', 'eps', 'weightDecay', 'decoupled'];

export class Adam implements Optimizer {
  readonly params: Parameter[];
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly decoupled: boolean;
  private t = 0;
  private readonly moments = new Map<Parameter, [Float32Array, Float32Array]>();

  constructor(
    params: Parameter[],
    config: AdamConfig = {},
  ) {
    assertParameters('params', params);
    this.params = [...params];
    config = optionsObject('config', config, ADAM_OPTIONS);
    this.lr = config.lr ?? 1e-3;
    this.beta1 = config.beta1 ?? 0.9;
    this.beta2 = config.beta2 ?? 0.999;
    this.eps = config.eps ?? 1e-8;
    this.decoupled = config.decoupled ?? false;
    assertBoolean('decoupled', this.decoupled);
    this.weightDecay = config.weightDecay ?? (this.decoupled ? 1e-2 : 0);
    assertInRange('lr', this.lr, 0, Infinity, { minExclusive: true });
    assertInRange('beta1', this.beta1, 0, 1, { maxExclusive: true });
    assertInRange('beta2', this.beta2, 0, 1, { maxExclusive: true });
    assertInRange('eps', this.eps, 0, Infinity, { minExclusive: true });
    assertInRange('weightDecay', this.weightDecay, 0, Infinity);
  }

  step(): void {
    // lr is a public field a schedule sets: checked where SGD's step checks it.
    assertInRange('lr', this.lr, 0, Infinity, { minExclusive: true });
    assertFiniteGradients(this.params, `${this.constructor.name}.step()`);
    this.t++;
    const c1 = 1 - this.beta1 ** this.t, c2 = 1 - this.beta2 ** this.t;
    for (const p of this.params) {
      let m = this.moments.get(p);
      if (!m) {
        m = [new Float32Array(p.size), new Float32Array(p.size)];
        this.moments.set(p, m);
      }
      native.adamMasked(p.value.data, m[0], m[1], p.grad.data, p.mask, this.lr, this.beta1, this.beta2, this.eps,
        this.weightDecay, this.decoupled, c1, c2);
      p.touch();
    }
  }
}

/** AdamW: Adam with decoupled weight decay (default 0.01). */
export class AdamW extends Adam {
  constructor(params: Parameter[], config: Omit<AdamConfig, 'decoupled'> = {}) {
    super(params, { ...optionsObject('config', config, ADAM_OPTIONS.filter((k) => k !== 'decoupled')), decoupled: true });
  }
}
