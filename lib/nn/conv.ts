/**
 * Convolutional layers: Conv2D (im2col + GEMM in native code, stride and
 * padding), MaxPool2D and Flatten. Activations are [batch, C, H, W]; a
 * layer given [batch, C·H·W] reads it as its declared input shape.
 */
import { ArgumentRangeError, ArgumentTypeError, ShapeError } from '../errors';
import { native } from '../native';
import { Random } from '../random';
import { Tensor, assertTensor, reuse } from '../tensor';
import { assertInteger, describe, expected, formatShape, optionsObject } from '../validate';
import { applyMask } from '../kernels/mask';
import { InitializerName, initialize } from './init';
import { Layer, LayerSpec, Mode, assertLayerWeights, layerName } from './layer';
import { Parameter } from './parameter';

export type ImageShape = readonly [channels: number, height: number, width: number];

/** Most values one sample's unrolled receptive fields (im2col) may hold; the native kernels refuse more. */
export const MAX_UNROLLED_PER_SAMPLE = 2 ** 26;

/** [channels, height, width], each a positive integer. */
function assertImageShape(name: string, shape: unknown): asserts shape is ImageShape {
  if (!Array.isArray(shape) || shape.length !== 3) {
    throw new ArgumentTypeError(expected('[channels, height, width]', name, describe(shape)));
  }
  shape.forEach((d, i) => assertInteger(`${name}[${i}]`, d, 1));
}

function asImages(x: Tensor, shape: ImageShape, name: string): Tensor {
  assertTensor(`input of ${name}`, x);
  const [c, h, w] = shape;
  const batch = x.shape[0];
  const fits = (x.rank === 4 && x.shape[1] === c && x.shape[2] === h && x.shape[3] === w) || (x.rank === 2 && x.shape[1] === c * h * w);
  if (!fits) {
    throw new ShapeError(expected(`shape [batch, ${c}, ${h}, ${w}] or [batch, ${c * h * w}]`, `input of ${name}`, `shape ${formatShape(x.shape)}`));
  }
  return x.rank === 4 ? x : x.reshape([batch, c, h, w]);
}

export interface Conv2DOptions {
  stride?: number;
  padding?: number;
  init?: InitializerName;
  seed?: number;
  name?: string;
}

export class Conv2D implements Layer {
  readonly name: string;
  readonly weight: Parameter;
  readonly bias: Parameter;
  readonly stride: number;
  readonly padding: number;
  readonly outputShape: ImageShape;
  private input: Tensor | null = null;
  private outBuffer: Tensor | null = null;
  private inferBuffer: Tensor | null = null;
  private dxBuffer: Tensor | null = null;

  constructor(
    readonly inputShape: ImageShape,
    readonly outChannels: number,
    readonly kernel: number,
    options: Conv2DOptions = {},
  ) {
    assertImageShape('inputShape', inputShape);
    inputShape = this.inputShape = Object.freeze([...inputShape]) as unknown as ImageShape;
    const [c, h, w] = inputShape;
    assertInteger('outChannels', outChannels, 1);
    assertInteger('kernel', kernel, 1);
    options = optionsObject('options', options, ['stride', 'padding', 'init', 'seed', 'name']);
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
    assertInteger('stride', this.stride, 1);
    assertInteger('padding', this.padding, 0, kernel - 1);
    const oh = Math.floor((h + 2 * this.padding - kernel) / this.stride) + 1;
    const ow = Math.floor((w + 2 * this.padding - kernel) / this.stride) + 1;
    if (oh < 1 || ow < 1) throw new ShapeError(expected(`a kernel no larger than the padded input`, 'kernel', String(kernel)));
    // Refused here rather than at the first forward pass, so that a model
    // (or a model file) that could never run is never built.
    const unrolled = c * kernel * kernel * oh * ow;
    if (unrolled > MAX_UNROLLED_PER_SAMPLE) {
      throw new ArgumentRangeError(
        expected('at most 2^26 unrolled values per sample (channels × kernel² × output positions)', 'inputShape and kernel', String(unrolled)),
      );
    }
    assertLayerWeights('outChannels × channels × kernel²', outChannels * c * kernel * kernel);
    this.outputShape = [outChannels, oh, ow];
    this.name = layerName(options.name, `conv_${outChannels}x${kernel}`);
    this.weight = new Parameter(`${this.name}.weight`, Tensor.zeros([outChannels, c, kernel, kernel]), 'weight');
    this.bias = new Parameter(`${this.name}.bias`, Tensor.zeros([outChannels]), 'bias');
    const area = kernel * kernel;
    initialize(this.weight.value, options.init ?? 'he', c * area, outChannels * area, new Random(options.seed ?? 0));
  }

  private dims(batch: number): number[] {
    const [c, h, w] = this.inputShape;
    return [batch, c, h, w, this.outChannels, this.kernel, this.kernel, this.stride, this.padding];
  }

  forward(x: Tensor, mode: Mode): Tensor {
    const images = asImages(x, this.inputShape, this.name);
    const batch = images.shape[0];
    if (mode === 'train') this.input = images;
    const shape = [batch, ...this.outputShape];
    const y = mode === 'train' ? (this.outBuffer = reuse(this.outBuffer, shape))
      : mode === 'infer' ? (this.inferBuffer = reuse(this.inferBuffer, shape)) : Tensor.zeros(shape);
    native.conv2dForward(y.data, images.data, this.weight.value.data, this.bias.value.data, ...this.dims(batch));
    return y;
  }

  backward(dy: Tensor, needInputGrad = true): Tensor {
    const x = this.input;
    if (x === null) throw new ShapeError(`${this.name}: backward() called before a forward() in train mode`);
    assertTensor(`dy of ${this.name}`, dy);
    const dx = needInputGrad ? (this.dxBuffer = reuse(this.dxBuffer, x.shape)) : null;
    native.conv2dBackward(this.weight.grad.data, this.bias.grad.data, dx?.data ?? null, dy.data, x.data, this.weight.value.data, ...this.dims(x.shape[0]));
    if (this.weight.mask) applyMask(this.weight.grad.data, this.weight.mask);
    return dx ?? Tensor.zeros([0, ...this.inputShape]);
  }

  parameters(): Parameter[] {
    return [this.weight, this.bias];
  }

  spec(): LayerSpec {
    return { type: 'conv2d', name: this.name, input: [...this.inputShape], out: this.outChannels, kernel: this.kernel, stride: this.stride, padding: this.padding };
  }
}

export class MaxPool2D implements Layer {
  readonly name: string;
  readonly outputShape: ImageShape;
  private argmax: Int32Array | null = null;
  private batch = 0;
  private outBuffer: Tensor | null = null;
  private inferBuffer: Tensor | null = null;
  private inferArgmax: Int32Array | null = null;
  private dxBuffer: Tensor | null = null;

  constructor(
    readonly inputShape: ImageShape,
    readonly size = 2,
    readonly stride = size,
    name?: string,
  ) {
    assertImageShape('inputShape', inputShape);
    inputShape = this.inputShape = Object.freeze([...inputShape]) as unknown as ImageShape;
    assertInteger('size', size, 1);
    assertInteger('stride', stride, 1);
    const [c, h, w] = inputShape;
    if (size > h || size > w) throw new ShapeError(expected('a window that fits the input', 'size', String(size)));
    this.outputShape = [c, Math.floor((h - size) / stride) + 1, Math.floor((w - size) / stride) + 1];
    this.name = layerName(name, `maxpool${size}`, 'name');
  }

  private dims(batch: number): number[] {
    return [batch, ...this.inputShape, this.size, this.stride];
  }

  forward(x: Tensor, mode: Mode): Tensor {
    const images = asImages(x, this.inputShape, this.name);
    const batch = images.shape[0];
    const shape = [batch, ...this.outputShape];
    const train = mode === 'train';
    const infer = mode === 'infer';
    const y = train ? (this.outBuffer = reuse(this.outBuffer, shape))
      : infer ? (this.inferBuffer = reuse(this.inferBuffer, shape)) : Tensor.zeros(shape);
    let argmax: Int32Array;
    if (train && this.argmax?.length === y.size) argmax = this.argmax;
    else if (infer && this.inferArgmax?.length === y.size) argmax = this.inferArgmax;
    else argmax = new Int32Array(y.size);
    if (infer) this.inferArgmax = argmax;
    native.maxpool2dForward(y.data, argmax, images.data, ...this.dims(batch));
    if (train) {
      this.argmax = argmax;
      this.batch = batch;
    }
    return y;
  }

  backward(dy: Tensor): Tensor {
    if (this.argmax === null) throw new ShapeError(`${this.name}: backward() called before a forward() in train mode`);
    assertTensor(`dy of ${this.name}`, dy);
    const dx = (this.dxBuffer = reuse(this.dxBuffer, [this.batch, ...this.inputShape]));
    native.maxpool2dBackward(dx.data, dy.data, this.argmax, ...this.dims(this.batch));
    return dx;
  }

  parameters(): Parameter[] {
    return [];
  }

  spec(): LayerSpec {
    return { type: 'maxpool2d', name: this.name, input: [...this.inputShape], size: this.size, stride: this.stride };
  }
}

/** [batch, C, H, W] -> [batch, C·H·W] (a view; no copy). */
export class Flatten implements Layer {
  readonly name: string;
  private inputShape: readonly number[] | null = null;

  constructor(name?: string) {
    this.name = layerName(name, 'flatten', 'name');
  }

  forward(x: Tensor, mode: Mode): Tensor {
    assertTensor(`input of ${this.name}`, x);
    if (mode === 'train') this.inputShape = x.shape;
    return x.reshape([x.shape[0], x.size / Math.max(1, x.shape[0])]);
  }

  backward(dy: Tensor): Tensor {
    if (this.inputShape === null) throw new ShapeError(`${this.name}: backward() called before a forward() in train mode`);
    assertTensor(`dy of ${this.name}`, dy);
    return dy.reshape(this.inputShape);
  }

  parameters(): Parameter[] {
    return [];
  }

  spec(): LayerSpec {
    return { type: 'flatten', name: this.name };
  }
}
