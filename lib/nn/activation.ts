/** Activation layers: ReLU, Tanh, Sigmoid (native elementwise kernels). */
import { ShapeError } from '../errors';
import { ActivationKind, activation, activationGrad } from '../kernels/elementwise';
import { Tensor } from '../tensor';
import { Layer, LayerSpec, Mode } from './layer';
import { Parameter } from './parameter';

export class Activation implements Layer {
  readonly name: string;
  private output: Tensor | null = null;

  constructor(
    readonly kind: ActivationKind,
    name?: string,
  ) {
    this.name = name ?? kind;
  }

  forward(x: Tensor, mode: Mode): Tensor {
    const y = activation(this.kind, x);
    if (mode === 'train') this.output = y;
    return y;
  }

  backward(dy: Tensor): Tensor {
    if (this.output === null) throw new ShapeError(`${this.name}: backward() called before a forward() in train mode`);
    return activationGrad(this.kind, dy, this.output);
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
