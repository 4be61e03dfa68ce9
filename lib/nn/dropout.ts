/**
 * Dropout (inverted): in training, each activation is zeroed with
 * probability p and the survivors scaled by 1/(1−p); in evaluation it is the
 * identity. Seeded, so runs repeat exactly: the masks are drawn natively
 * from a counter-based stream (seed, elements drawn so far), the same on any
 * thread count. Without a seed, a layer takes its position among the
 * Dropout layers of the first model it joins (0 outside a model).
 */
import { ShapeError } from '../errors';
import { dropout, dropoutGrad } from '../kernels/elementwise';
import { Tensor, assertTensor, reuse } from '../tensor';
import { assertInRange, assertInteger, optionsObject } from '../validate';
import { Layer, LayerSpec, Mode, assertOutputGradient, layerName } from './layer';
import { Parameter } from './parameter';

export class Dropout implements Layer {
  readonly name: string;
  private seed: number;
  /** Set by the caller, or fixed by the first model the layer joined: later models do not change it. */
  private seedFixed: boolean;
  /** Elements drawn so far: where the next forward's draws start. */
  private drawn = 0;
  private keep: Uint8Array | null = null;
  private output: Tensor | null = null;
  private dxBuffer: Tensor | null = null;

  constructor(
    readonly p: number,
    options: { seed?: number; name?: string } = {},
  ) {
    assertInRange('p', p, 0, 1, { maxExclusive: true });
    options = optionsObject('options', options, ['seed', 'name']);
    this.seedFixed = options.seed !== undefined;
    this.seed = options.seed ?? 0;
    assertInteger('options.seed', this.seed, 0, 2 ** 32 - 1);
    this.name = layerName(options.name, `dropout${p}`);
  }

  /**
   * @internal Sequential numbers its Dropout layers: one built without a seed
   * takes its number in the first model it joins as the seed, so two such
   * layers of one model never draw the same masks, and building another
   * model from the same layer object does not change the first one's.
   */
  seedFromPosition(ordinal: number): void {
    if (this.seedFixed) return;
    this.seed = ordinal;
    this.seedFixed = true;
  }

  forward(x: Tensor, mode: Mode): Tensor {
    assertTensor(`input of ${this.name}`, x);
    if (mode !== 'train' || this.p === 0) {
      this.keep = null;
      return x;
    }
    // The stream position wraps at 2^53 (about 10^7 years of batches).
    if (this.drawn + x.size > 2 ** 53) this.drawn = 0;
    const keep = this.keep?.length === x.size ? this.keep : new Uint8Array(x.size);
    this.output = dropout(x, keep, this.p, this.seed, this.drawn, reuse(this.output, x.shape));
    this.drawn += x.size;
    this.keep = keep;
    return this.output;
  }

  backward(dy: Tensor): Tensor {
    if (this.p === 0) {
      assertTensor(`dy of ${this.name}`, dy);
      return dy;
    }
    const keep = this.keep, output = this.output;
    if (keep === null || output === null) throw new ShapeError(`${this.name}: backward() called before a forward() in train mode`);
    assertOutputGradient(this.name, dy, output.shape);
    this.dxBuffer = reuse(this.dxBuffer, dy.shape);
    return dropoutGrad(dy, keep, this.p, this.dxBuffer);
  }

  parameters(): Parameter[] {
    return [];
  }

  spec(): LayerSpec {
    return { type: 'dropout', name: this.name, p: this.p, seed: this.seed };
  }
}
