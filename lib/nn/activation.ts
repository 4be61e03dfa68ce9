/** Activation layers: ReLU, Tanh, Sigmoid (native elementwise kernels). */
import { ShapeError } from '../errors';
import { ActivationKind, activation, activationCode, activationGrad } from '../kernels/elementwise';
import { Tensor, assertTensor, reuse } from '../tensor';
import { Layer, LayerSpec, Mode, assertOutputGradient, layerName } from './layer';
import { Parameter } from './parameter';

export class Activation implements Layer {
  readonly name: string;
  private output: Tensor | null = null;
  private dxBuffer: Tensor | null = null;
  private inferBuffer: Tensor | null = null;

  constructor(
    readonly kind: ActivationKind,
    name?: string,
  ) {
    activationCode(kind);
    this.name = layerName(name, kind, 'name');
  }

  forward(x: Tensor, mode: Mode): Tensor {
    assertTensor(`input of ${this.name}`, x);
    if (mode === 'eval') return activation(this.kind, x);
    if (mode === 'infer') return activation(this.kind, x, (this.inferBuffer = reuse(this.inferBuffer, x.shape)));
    this.output = activation(this.kind, x, reuse(this.output, x.shape));
    return this.output;
  }

  backward(dy: Tensor): Tensor {
    if (this.output === null) throw new ShapeError(`${this.name}: backward() called before a forward() in train mode`);
    assertOutputGradient(this.name, dy, this.output.shape);
    this.dxBuffer = reuse(this.dxBuffer, dy.shape);
    return activationGrad(this.kind, dy, this.output, this.dxBuffer);
  }

  parameters(): Parameter[] {
    return [];
  }

  spec(): LayerSpec {
    return { type: this.kind, name: this.name };
  }
}

export const relu = (name?: string) => new Activation('relu', name);
export const tanh = (name?: string) => new Activation('tanh', name);
export const sigmoid = (name?: string) => new Activation('sigmoid', name);
