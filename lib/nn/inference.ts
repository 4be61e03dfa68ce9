/**
 * A Sequential model compiled for serving: its whole forward pass runs as one
 * native call (sync, or async on the libuv pool so a server's event loop stays
 * free). The plan copies the weights when compiled and calls the very kernels
 * the layers call, so its outputs equal model.logits() bit for bit; pruned
 * Dense layers run through the sparse kernel at exactly the batch sizes the
 * layer would.
 */
import { ArgumentRangeError, ArgumentTypeError, ShapeError } from '../errors';
import { activationCode } from '../kernels/elementwise';
import { NativePlan, NativePlanStep, native } from '../native';
import { Tensor } from '../tensor';
import { describe, expected, isFloat32Array, optionsObject, quoted } from '../validate';
import { Activation } from './activation';
import { Conv2D, Flatten, MaxPool2D } from './conv';
import { Dense } from './dense';
import { Dropout } from './dropout';
import { Sequential, argmaxRows, assertModel } from './sequential';

const MAX_BATCH = 2 ** 31 - 1;
/** The longest Float32Array the scores may take (V8's typed array limit, 2^32 − 1 elements on 64-bit). */
const MAX_OUTPUT = 2 ** 32 - 1;

export interface CompileOptions {
  /**
   * 'float' (the default): Dense weights as float32, each layer through the
   * kernel it would use itself. 'codebook': every Dense layer keeps one byte
   * per stored weight, an index into its distinct values (at most 256: a
   * weight-shared layer), and runs through the sparse kernels at every batch.
   */
  weights?: 'float' | 'codebook';
}

/** Distinct bit patterns among the weights the plan stores (masked in, or non-zero without a mask); counts stop past limit. */
function distinctStoredValues(w: Float32Array, mask: Uint8Array | null, limit: number): number {
  const bits = new Uint32Array(w.buffer, w.byteOffset, w.length);
  const seen = new Set<number>();
  for (let i = 0; i < w.length && seen.size <= limit; i++) if (mask ? mask[i] : w[i] !== 0) seen.add(bits[i]);
  return seen.size;
}

function stepsOf(model: Sequential, options: CompileOptions): NativePlanStep[] {
  const codebook = options.weights === 'codebook';
  const steps: NativePlanStep[] = [];
  for (const l of model.layers) {
    if (l instanceof Dense) {
      if (codebook && distinctStoredValues(l.weight.value.data, l.weight.mask, 256) > 256) {
        throw new ArgumentRangeError(`layer '${l.name}' has more than 256 distinct weight values; codebook execution needs a weight-shared layer (shareWeights, at most 8 bits)`);
      }
      steps.push({
        op: 'dense', weights: l.weight.value.data, bias: l.bias.value.data, mask: l.weight.mask,
        rows: l.outFeatures, cols: l.inFeatures, sparseMaxBatch: codebook ? MAX_BATCH : Math.min(l.sparseKernelMaxBatch, MAX_BATCH),
        codebook,
      });
    } else if (l instanceof Activation) {
      steps.push({ op: 'activation', kind: activationCode(l.kind) });
    } else if (l instanceof Conv2D) {
      steps.push({
        op: 'conv2d', weights: l.weight.value.data, bias: l.bias.value.data,
        dims: [...l.inputShape, l.outChannels, l.kernel, l.kernel, l.stride, l.padding],
      });
    } else if (l instanceof MaxPool2D) {
      steps.push({ op: 'maxpool2d', dims: [...l.inputShape, l.size, l.stride] });
    } else if (!(l instanceof Flatten || l instanceof Dropout)) {
      throw new ArgumentTypeError(`layer '${l.name}' (${l.spec().type}) cannot be compiled for inference`);
    }
  }
  const unservable = whyUnservable(model);
  if (unservable !== null) throw new ArgumentTypeError(expected(SERVABLE_MODEL, 'model', unservable));
  return steps;
}

/** What a model must be to compile (and to be written to a model file). */
export const SERVABLE_MODEL = 'a model whose first computing layer is Dense, Conv2D or MaxPool2D (it fixes the input size)';

/**
 * Why a model cannot be compiled (its first computing layer must fix the
 * plan's input size), or null. The model file's writer and reader check it,
 * so no file loads that could not serve.
 */
export function whyUnservable(model: Sequential): string | null {
  const first = model.layers.find((l) => !(l instanceof Flatten || l instanceof Dropout));
  if (first === undefined) return 'only pass-through layers';
  if (first instanceof Dense || first instanceof Conv2D || first instanceof MaxPool2D) return null;
  return `layer '${first.name}' (${first.spec().type}) first`;
}

export class InferencePlan {
  private constructor(
    private readonly plan: NativePlan,
    /** Values per sample the plan reads. */
    readonly inputSize: number,
    /** Scores per sample it returns. */
    readonly outputSize: number,
  ) {}

  static compile(model: Sequential, options: CompileOptions = {}): InferencePlan {
    assertModel('model', model);
    options = optionsObject('options', options, ['weights']);
    if (options.weights !== undefined && options.weights !== 'float' && options.weights !== 'codebook') {
      throw new ArgumentRangeError(expected("'float' or 'codebook'", 'options.weights', quoted(options.weights)));
    }
    const plan = native.createPlan(stepsOf(model, options));
    return new InferencePlan(plan, plan.inputSize, plan.outputSize);
  }

  private batchOf(x: Tensor | Float32Array): { data: Float32Array; batch: number } {
    const data = x instanceof Tensor ? x.data : x;
    if (!isFloat32Array(data)) throw new ArgumentTypeError(expected('a Tensor or a Float32Array', 'x', describe(x)));
    const perSample = x instanceof Tensor ? x.shape.slice(1).reduce((a, b) => a * b, 1) : this.inputSize;
    if (x instanceof Tensor && x.shape.length < 2) {
      throw new ShapeError(expected(`a batch: shape [batch, ...] with ${this.inputSize} values per sample (one sample is [1, ${this.inputSize}])`, 'x', `shape [${x.shape.join(', ')}]`));
    }
    if (perSample !== this.inputSize || data.length % this.inputSize !== 0) {
      throw new ShapeError(expected(`${this.inputSize} values per sample`, 'x', x instanceof Tensor ? `shape [${x.shape.join(', ')}]` : `length ${data.length}`));
    }
    // A Tensor whose buffer was transferred away has no data left for its shape.
    const shapeSize = x instanceof Tensor ? x.shape.reduce((a, b) => a * b, 1) : data.length;
    if (x instanceof Tensor && data.length !== shapeSize) {
      throw new ShapeError(expected(`${shapeSize} values for shape [${x.shape.join(', ')}]`, 'x', `length ${data.length} (a detached buffer?)`));
    }
    const batch = data.length / this.inputSize;
    if (batch * this.outputSize > MAX_OUTPUT) {
      throw new ArgumentRangeError(expected(`a batch whose ${this.outputSize} scores per sample fit one Float32Array (at most ${Math.floor(MAX_OUTPUT / this.outputSize)} samples)`, 'x', `${batch} samples`));
    }
    return { data, batch };
  }

  /** Bytes of weights, biases and sparse layouts the compiled plan holds in memory. */
  get residentBytes(): number {
    return this.plan.residentBytes;
  }

  /** Class scores [batch, outputSize] for a batch (a Tensor, or samples laid end to end). */
  logits(x: Tensor | Float32Array): Tensor {
    const { data, batch } = this.batchOf(x);
    const out = new Float32Array(batch * this.outputSize);
    this.plan.run(data, batch, out);
    return new Tensor(out, [batch, this.outputSize]);
  }

  /** logits() on the libuv pool; the input is copied, so the caller may reuse it at once. */
  async logitsAsync(x: Tensor | Float32Array): Promise<Tensor> {
    const { data, batch } = this.batchOf(x);
    const out = await this.plan.runAsync(data, batch);
    return new Tensor(out, [batch, this.outputSize]);
  }

  /** The most likely class of each sample (ties to the lower class, as Sequential.predict). */
  predict(x: Tensor | Float32Array): Int32Array {
    return argmaxRows(this.logits(x));
  }

  async predictAsync(x: Tensor | Float32Array): Promise<Int32Array> {
    return argmaxRows(await this.logitsAsync(x));
  }
}
