/**
 * Sequential: layers applied in order, trained with the fused softmax +
 * cross-entropy loss on integer labels.
 */
import { ArgumentRangeError, ArgumentTypeError, NonFiniteError, ShapeError } from '../errors';
import { softmaxCrossEntropy } from '../kernels/elementwise';
import { Tensor, reuse } from '../tensor';
import { describe, expected } from '../validate';
import { Dataset, batches } from '../data/dataset';
import { Dropout } from './dropout';
import { Layer, LayerSpec, Mode } from './layer';
import { Parameter } from './parameter';
import { assertChained, inferenceChunk } from './sizes';

export interface Evaluation {
  accuracy: number;
  loss: number;
  samples: number;
}

/**
 * A model giving fewer scores per sample than the data has labels can
 * neither learn nor score it. The labels present count, not `classes` (an
 * IDX set declares at least 10).
 */
export function assertScoresFor(ds: Dataset, scores: number): void {
  let top = -1;
  for (let i = 0; i < ds.y.length; i++) if (ds.y[i] > top) top = ds.y[i];
  if (top >= scores) {
    throw new ShapeError(`${ds.name} has labels up to ${top}, but the model gives ${scores} scores per sample: its last layer needs one output per class`);
  }
}

/** Accuracy and mean cross-entropy of the scores `logits` gives for a dataset, batch by batch. */
export function evaluateLogits(ds: Dataset, batchSize: number, logits: (x: Tensor) => Tensor): Evaluation {
  let correct = 0, lossSum = 0;
  let checked = false;
  for (const b of batches(ds, batchSize, { reuse: true })) {
    const z = logits(b.x);
    if (!checked) assertScoresFor(ds, z.shape[1]);
    checked = true;
    const r = softmaxCrossEntropy(z, b.y);
    correct += r.correct;
    lossSum += r.loss * b.y.length;
  }
  const n = ds.y.length;
  return { accuracy: n ? correct / n : 0, loss: n ? lossSum / n : 0, samples: n };
}

/**
 * The index of each row's largest score (ties to the lower index). A NaN
 * score (from NaN or infinite input) is a NonFiniteError: no class would be
 * right, and class 0 would be returned silently.
 */
export function argmaxRows(z: Tensor): Int32Array {
  const [n, classes] = z.shape;
  const out = new Int32Array(n);
  for (let i = 0, row = 0; i < n; i++, row += classes) {
    let best = 0;
    let nan = z.data[row] !== z.data[row];
    for (let c = 1; c < classes; c++) {
      const v = z.data[row + c];
      nan ||= v !== v;
      if (v > z.data[row + best]) best = c;
    }
    if (nan) throw new NonFiniteError(`Expected finite scores for sample ${i} but received NaN (its input holds NaN or Infinity)`);
    out[i] = best;
  }
  return out;
}

export class Sequential {
  readonly layers: readonly Layer[];
  private dlogits: Tensor | null = null;

  constructor(layers: Layer[]) {
    if (!Array.isArray(layers)) throw new ArgumentTypeError(expected('an array of layers', 'layers', describe(layers)));
    if (layers.length === 0) throw new ShapeError('a Sequential model needs at least one layer');
    const own = [...layers];
    own.forEach((l, i) => {
      const layer = l as unknown as Record<string, unknown> | null;
      const isLayer = typeof layer === 'object' && layer !== null &&
        ['forward', 'backward', 'parameters', 'spec'].every((m) => typeof layer[m] === 'function');
      if (!isLayer) throw new ArgumentTypeError(expected('a layer (forward, backward, parameters, spec)', `layers[${i}]`, describe(l)));
      // A layer keeps its last input for the backward pass: used twice, the first use's gradient would be computed from the second's input.
      const first = own.indexOf(l);
      if (first < i) throw new ArgumentRangeError(`layers[${i}] is layers[${first}] (${l.name}) again; build a new layer for each position`);
    });
    assertChained(own);
    this.layers = own;
    own.filter((l): l is Dropout => l instanceof Dropout).forEach((d, i) => d.seedFromPosition(i));
  }

  forward(x: Tensor, mode: Mode = 'eval'): Tensor {
    if (mode !== 'train' && x instanceof Tensor && x.shape.length >= 2 && x.shape[0] > 1) {
      const chunk = inferenceChunk(this.layers, x.size / x.shape[0]);
      if (x.shape[0] > chunk) return this.forwardInChunks(x, mode, chunk);
    }
    return this.forwardWhole(x, mode);
  }

  /** Inference on a batch larger than one chunk: chunk by chunk into one output, as the compiled plan runs it. */
  private forwardInChunks(x: Tensor, mode: Mode, chunk: number): Tensor {
    const batch = x.shape[0], perSample = x.size / batch;
    let out: Tensor | undefined;
    for (let b0 = 0; b0 < batch; b0 += chunk) {
      const n = Math.min(chunk, batch - b0);
      const part = new Tensor(x.data.subarray(b0 * perSample, (b0 + n) * perSample), [n, ...x.shape.slice(1)]);
      const y = this.forwardWhole(part, mode);
      out ??= Tensor.zeros([batch, ...y.shape.slice(1)]);
      out.data.set(y.data, b0 * (y.size / n));
    }
    return out as Tensor;
  }

  private forwardWhole(x: Tensor, mode: Mode): Tensor {
    // In evaluation only the last output leaves the model: the others may be reused buffers.
    const inner: Mode = mode === 'eval' ? 'infer' : mode;
    const last = this.layers.length - 1;
    let h = x;
    for (let i = 0; i < last; i++) h = this.layers[i].forward(h, inner);
    const out = this.layers[last].forward(h, mode);
    // Evaluation hands out memory of its own: never a reused buffer a last
    // pass-through layer (Flatten, Dropout) returns, nor the caller's input
    // when every layer passes it through (as above one chunk, which copies).
    const passedThrough = mode === 'eval' && out.data.buffer === h.data.buffer;
    return passedThrough ? out.clone() : out;
  }

  /** Back-propagates dLoss/dOutput; fills every parameter's gradient (the input's gradient is not computed). */
  backward(dy: Tensor): Tensor {
    let g = dy;
    for (let i = this.layers.length - 1; i >= 0; i--) g = this.layers[i].backward(g, i > 0);
    return g;
  }

  /** One training step's forward and backward under softmax cross-entropy; returns the batch's loss and hits. */
  lossAndGradients(x: Tensor, labels: Int32Array): { loss: number; correct: number } {
    const logits = this.forward(x, 'train');
    const dlogits = (this.dlogits = reuse(this.dlogits, logits.shape));
    const r = softmaxCrossEntropy(logits, labels, dlogits);
    this.backward(dlogits);
    return r;
  }

  /** Class scores (logits) for a batch [n, features]. */
  logits(x: Tensor): Tensor {
    return this.forward(x, 'eval');
  }

  /** The most likely class of each sample. */
  predict(x: Tensor): Int32Array {
    return argmaxRows(this.logits(x));
  }

  /** Accuracy and mean cross-entropy over a dataset. */
  evaluate(ds: Dataset, batchSize = 1000): Evaluation {
    return evaluateLogits(ds, batchSize, (x) => this.logits(x));
  }

  parameters(): Parameter[] {
    return this.layers.flatMap((l) => l.parameters());
  }

  /** Parameter counts: all entries, and those not exactly zero. */
  parameterCount(): { total: number; nonzero: number } {
    let total = 0, nonzero = 0;
    for (const p of this.parameters()) {
      total += p.size;
      nonzero += p.nonzero();
    }
    return { total, nonzero };
  }

  spec(): LayerSpec[] {
    return this.layers.map((l) => l.spec());
  }
}

export function assertModel(name: string, value: unknown): asserts value is Sequential {
  if (!(value instanceof Sequential)) throw new ArgumentTypeError(expected('a Sequential model', name, describe(value)));
}
