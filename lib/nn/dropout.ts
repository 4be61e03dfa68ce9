/**
 * Dropout (inverted): in training, each activation is zeroed with
 * probability p and the survivors scaled by 1/(1−p); in evaluation it is the
 * identity. Seeded, so runs repeat exactly.
 */
import { ShapeError } from '../errors';
import { Random } from '../random';
import { Tensor, assertTensor } from '../tensor';
import { assertInRange, optionsObject } from '../validate';
import { Layer, LayerSpec, Mode, assertOutputGradient, layerName } from './layer';
import { Parameter } from './parameter';

export class Dropout implements Layer {
  readonly name: string;
  private readonly rng: Random;
  private keep: Uint8Array | null = null;
  private keptShape: readonly number[] = [];

  constructor(
    readonly p: number,
    options: { seed?: number; name?: string } = {},
  ) {
    assertInRange('p', p, 0, 1, { maxExclusive: true });
    options = optionsObject('options', options);
    this.rng = new Random(options.seed ?? 0);
    this.name = layerName(options.name, `dropout${p}`);
  }

  forward(x: Tensor, mode: Mode): Tensor {
    assertTensor(`input of ${this.name}`, x);
    if (mode !== 'train' || this.p === 0) {
      this.keep = null;
      return x;
    }
    const y = Tensor.zeros(x.shape);
    const keep = new Uint8Array(x.size);
    const scale = 1 / (1 - this.p);
    for (let i = 0; i < x.size; i++) {
      keep[i] = this.rng.next() >= this.p ? 1 : 0;
      y.data[i] = keep[i] ? x.data[i] * scale : 0;
    }
    this.keep = keep;
    this.keptShape = x.shape;
    return y;
  }

  backward(dy: Tensor): Tensor {
    if (this.p === 0) {
      assertTensor(`dy of ${this.name}`, dy);
      return dy;
    }
    const keep = this.keep;
    if (keep === null) throw new ShapeError(`${this.name}: backward() called before a forward() in train mode`);
    assertOutputGradient(this.name, dy, this.keptShape);
    const dx = Tensor.zeros(dy.shape);
    const scale = 1 / (1 - this.p);
    for (let i = 0; i < dy.size; i++) dx.data[i] = keep[i] ? dy.data[i] * scale : 0;
    return dx;
  }

  parameters(): Parameter[] {
    return [];
  }

  spec(): LayerSpec {
    return { type: 'dropout', name: this.name, p: this.p };
  }
}
