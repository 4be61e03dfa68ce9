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
import { Evaluation, Sequential, evaluateLogits } from '../nn/sequential';
import { Tensor } from '../tensor';
import { describe, expected } from '../validate';
import { EncodeOptions, EncodedModel, ModelFileHeader, TensorLayout, decodeModel, encodeModel } from './format';

/** Writes the model atomically; returns what was written (bytes, header, per-section sizes). */
export function saveModel(model: Sequential, file: string, options: EncodeOptions = {}): EncodedModel {
  const encoded = encodeModel(model, options);
  writeFileAtomic(file, encoded.bytes, 'the model file');
  return encoded;
}

/**
 * A model file, loaded to serve. Loading compiles the native plan and keeps
 * only it and the file's bytes: the decoded network (float32 weights and
 * masks, several times the plan's size) is rebuilt from those bytes when
 * `model` is first asked for, and kept from then on.
 */
export class CompressedModel {
  private compiled: InferencePlan | null = null;
  private decoded: Sequential | null = null;
  private readonly decode: () => Sequential;

  constructor(
    /** The decoded network, or how to decode it (called once at load, and again when `model` is first asked for). */
    model: Sequential | (() => Sequential),
    readonly header: ModelFileHeader,
    readonly layout: readonly TensorLayout[],
    readonly fileBytes: number,
    readonly headerBytes: number,
    /** How the plan holds its Dense weights (see CompileOptions). */
    readonly compileOptions: CompileOptions = {},
  ) {
    if (typeof model === 'function') {
      this.decode = model;
      // Compiled from a network decoded for the purpose, then dropped; bad options fail here, at load time.
      this.compiled = InferencePlan.compile(model(), compileOptions);
    } else {
      this.decode = () => model;
      this.decoded = model;
      // Bad options and layers codebook execution cannot run fail at load time, not at the first prediction.
      if (compileOptions.weights !== undefined) void this.plan;
    }
  }

  /**
   * The decoded network (codebook values expanded, masks set), e.g. to
   * inspect or fine-tune further: the plan follows changes to its parameters.
   */
  get model(): Sequential {
    if (this.decoded === null) {
      this.decoded = this.decode();
      this.params = this.decoded.parameters();
      this.compiledAt = versionOf(this.params); // the plan was compiled from these very values
    }
    return this.decoded;
  }

  get metadata(): Record<string, unknown> {
    return this.header.metadata;
  }

  private compiledAt = -1;
  private params: readonly Parameter[] | null = null;

  /** The compiled plan, recompiled when the network's parameters changed since (e.g. further fine-tuning). */
  private get plan(): InferencePlan {
    if (this.decoded === null && this.compiled !== null) return this.compiled;
    const params = (this.params ??= this.model.parameters());
    const version = versionOf(params);
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

  /** Accuracy and mean cross-entropy over a dataset, through the plan that serves. */
  evaluate(data: Dataset, batchSize = 1000): Evaluation {
    return evaluateLogits(data, batchSize, (x) => this.plan.logits(x));
  }
}

function versionOf(params: readonly Parameter[]): number {
  let version = 0;
  for (let i = 0; i < params.length; i++) version += params[i].version;
  return version;
}

/** A model file's bytes already read, decoded under `name` (the file errors name); loadModel's core. */
export function modelFromBytes(bytes: Uint8Array, name: string, options: LoadOptions = {}): CompressedModel {
  if (typeof options !== 'object' || options === null) throw new ArgumentTypeError(expected('an options object', 'options', describe(options)));
  const { model, header, layout, headerBytes } = decodeModel(bytes, name);
  // The first call hands over this decoding for the plan; later ones decode a copy (the caller may reuse its buffer).
  const own = Uint8Array.prototype.slice.call(bytes);
  let first: Sequential | null = model;
  const decode = (): Sequential => {
    const decoded = first ?? decodeModel(own, name).model;
    first = null;
    return decoded;
  };
  return new CompressedModel(decode, header, layout, bytes.length, headerBytes, options);
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
