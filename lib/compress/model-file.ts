/**
 * Saving and loading compressed model files. saveModel writes atomically (a
 * temporary file in the same directory, then a rename); loadModel reads a
 * path or the file's bytes (for servers that fetch models from storage) and
 * gives a model ready to serve through a compiled native inference plan.
 */
import { ArgumentTypeError } from '../errors';
import { readFileBytes, readFileBytesAsync, writeFileAtomic } from '../files';
import { Dataset } from '../data/dataset';
import { CompileOptions, InferencePlan } from '../nn/inference';
import { Parameter } from '../nn/parameter';
import { Evaluation, Sequential } from '../nn/sequential';
import { Tensor } from '../tensor';
import { describe, expected } from '../validate';
import { EncodeOptions, EncodedModel, ModelFileHeader, TensorLayout, decodeModel, encodeModel } from './format';

/** Writes the model atomically; returns what was written (bytes, header, per-section sizes). */
export function saveModel(model: Sequential, file: string, options: EncodeOptions = {}): EncodedModel {
  const encoded = encodeModel(model, options);
  writeFileAtomic(file, encoded.bytes, 'the model file');
  return encoded;
}

export class CompressedModel {
  private compiled: InferencePlan | null = null;

  constructor(
    /** The decoded network (codebook values expanded, masks set), e.g. to fine-tune further. */
    readonly model: Sequential,
    readonly header: ModelFileHeader,
    readonly layout: readonly TensorLayout[],
    readonly fileBytes: number,
    readonly headerBytes: number,
    /** How the plan holds its Dense weights (see CompileOptions). */
    readonly compileOptions: CompileOptions = {},
  ) {
    // Bad options and layers codebook execution cannot run fail at load time, not at the first prediction.
    if (compileOptions.weights !== undefined) void this.plan;
  }

  get metadata(): Record<string, unknown> {
    return this.header.metadata;
  }

  private compiledAt = -1;
  private params: readonly Parameter[] | null = null;

  /** The compiled plan, recompiled when the network's parameters changed since (e.g. further fine-tuning). */
  private get plan(): InferencePlan {
    const params = (this.params ??= this.model.parameters());
    let version = 0;
    for (let i = 0; i < params.length; i++) version += params[i].version;
    if (this.compiled === null || version !== this.compiledAt) {
      this.compiled = InferencePlan.compile(this.model, this.compileOptions);
      this.compiledAt = version;
    }
    return this.compiled;
  }

  /** Bytes of weights, biases and sparse layouts the served plan holds in memory. */
  get residentBytes(): number {
    return this.plan.residentBytes;
  }

  /** Values per sample the model reads. */
  get inputSize(): number {
    return this.plan.inputSize;
  }

  logits(x: Tensor | Float32Array): Tensor {
    return this.plan.logits(x);
  }

  logitsAsync(x: Tensor | Float32Array): Promise<Tensor> {
    return this.plan.logitsAsync(x);
  }

  /** The most likely class of each sample. */
  predict(x: Tensor | Float32Array): Int32Array {
    return this.plan.predict(x);
  }

  /** predict() off the event loop. */
  predictAsync(x: Tensor | Float32Array): Promise<Int32Array> {
    return this.plan.predictAsync(x);
  }

  evaluate(data: Dataset, batchSize = 1000): Evaluation {
    return this.model.evaluate(data, batchSize);
  }
}

/** A model file's bytes already read, decoded under `name` (the file errors name); loadModel's core. */
export function modelFromBytes(bytes: Uint8Array, name: string, options: LoadOptions = {}): CompressedModel {
  if (typeof options !== 'object' || options === null) throw new ArgumentTypeError(expected('an options object', 'options', describe(options)));
  const { model, header, layout, headerBytes } = decodeModel(bytes, name);
  return new CompressedModel(model, header, layout, bytes.length, headerBytes, options);
}

/** How the served plan holds its weights: `{ weights: 'codebook' }` runs Dense layers from their codebook indices. */
export type LoadOptions = CompileOptions;

/** Loads a compressed model from a path or from the file's bytes. */
export function loadModel(source: string | Uint8Array, options: LoadOptions = {}): CompressedModel {
  if (source instanceof Uint8Array) return modelFromBytes(source, 'model buffer', options);
  if (typeof source !== 'string') throw new ArgumentTypeError(expected('a path or a Uint8Array/Buffer', 'source', describe(source)));
  return modelFromBytes(readFileBytes(source), source, options);
}

/** loadModel() with the file read asynchronously. */
export async function loadModelAsync(source: string | Uint8Array, options: LoadOptions = {}): Promise<CompressedModel> {
  if (typeof source !== 'string') return loadModel(source, options);
  return modelFromBytes(await readFileBytesAsync(source), source, options);
}
