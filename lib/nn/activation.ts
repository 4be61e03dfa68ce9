/** Activation layers: ReLU, Tanh, Sigmoid (native elementwise kernels). */
import { ShapeError } from '../errors';
import { ActivationKind, activation, activationGrad } from '../kernels/elementwise';
import { Tensor, reuse } from '../tensor';
import { Layer, LayerSpec, Mode } from './layer';
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
    this.name = name ?? kind;
  }

  forward(x: Tensor, mode: Mode): Tensor {
    if (mode === 'eval') return activation(this.kind, x);
    if (mode === 'infer') return activation(this.kind, x, (this.inferBuffer = reuse(this.inferBuffer, x.shape)));
    this.output = activation(this.kind, x, reuse(this.output, x.shape));
    return this.output;
  }

  backward(dy: Tensor): Tensor {
    if (this.output === null) throw new ShapeError(`${this.name}: backward() called before a forward() in train mode`);
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
