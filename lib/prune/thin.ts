/**
 * Thinning: physically remove pruned neurons and filters (the seeds'
 * "zeroing vs removing nodes"). A hidden unit goes when its incoming weights
 * are all zero (it outputs the constant f(bias), folded exactly into the
 * next layer's bias) or when the next layer reads it with all-zero weights.
 * The result is a smaller dense network whose outputs equal the masked
 * network's to float rounding. Layers between two weighted layers may be
 * activations, dropout, max-pooling and flatten; output units are never
 * removed. A constant that would meet zero padding in the next Conv2D cannot
 * be folded exactly, so such a unit is kept.
 */
import { ArgumentTypeError } from '../errors';
import { Activation } from '../nn/activation';
import { Conv2D, Flatten, MaxPool2D } from '../nn/conv';
import { Dense } from '../nn/dense';
import { Dropout } from '../nn/dropout';
import { Layer } from '../nn/layer';
import { Parameter } from '../nn/parameter';
import { Sequential, assertModel } from '../nn/sequential';
import { layerFromSpec } from '../nn/spec';

type Weighted = Dense | Conv2D;

const isWeighted = (l: Layer): l is Weighted => l instanceof Dense || l instanceof Conv2D;
const unitsOut = (l: Weighted) => (l instanceof Dense ? l.outFeatures : l.outChannels);
const unitsIn = (l: Weighted) => (l instanceof Dense ? l.inFeatures : l.inputShape[0]);

function passThroughConstant(layers: Layer[], value: number): number {
  let v = value;
  for (const l of layers) {
    if (l instanceof Activation) v = l.kind === 'relu' ? Math.max(0, v) : l.kind === 'tanh' ? Math.tanh(v) : 1 / (1 + Math.exp(-v));
    else if (!(l instanceof Dropout || l instanceof MaxPool2D || l instanceof Flatten)) {
      throw new ArgumentTypeError(`thin() cannot see through layer ${l.name} (${l.spec().type}); it supports activations, dropout, max-pooling and flatten between weighted layers`);
    }
  }
  return v;
}

/** Weight indices of `consumer` that read producer unit u (input column / channel, through a flatten). */
function readerIndices(consumer: Weighted, unitCount: number, u: number): { index: number; out: number }[] {
  const w = consumer.weight;
  const rows = w.shape[0];
  const perRow = w.size / rows;
  const inputs = unitsIn(consumer);
  // A unit feeds `span` consecutive entries of each row: its features after a flatten, or its kernel taps.
  const span = consumer instanceof Dense ? inputs / unitCount : perRow / inputs;
  const out: { index: number; out: number }[] = [];
  for (let o = 0; o < rows; o++) for (let k = 0; k < span; k++) out.push({ index: o * perRow + u * span + k, out: o });
  return out;
}

interface Interface {
  producer: number;
  keep: number[];
  /** Bias added to each consumer output by the removed constant units. */
  fold: Float64Array;
}

function planInterface(layers: Layer[], p: number, c: number, forceKeep = -1): Interface {
  const producer = layers[p] as Weighted, consumer = layers[c] as Weighted;
  const units = unitsOut(producer);
  const between = layers.slice(p + 1, c);
  const fold = new Float64Array(consumer.weight.shape[0]);
  const keep: number[] = [];
  const w = producer.weight.value.data, b = producer.bias.value.data, cw = consumer.weight.value.data;
  const per = producer.weight.size / units;
  const padded = consumer instanceof Conv2D && consumer.padding > 0;
  for (let u = 0; u < units; u++) {
    const readers = readerIndices(consumer, units, u);
    const unread = readers.every(({ index }) => cw[index] === 0);
    let deadIn = true;
    for (let k = 0; k < per && deadIn; k++) deadIn = w[u * per + k] === 0;
    if (u === forceKeep) {
      keep.push(u);
      continue;
    }
    if (unread) continue;
    if (deadIn) {
      const constant = passThroughConstant(between, b[u]);
      // A pruned bias entry stays zero: a constant folded into it would be lost, so such a unit stays.
      const biasMask = consumer.bias.mask;
      const foldable = !biasMask || readers.every(({ index, out }) => constant * cw[index] === 0 || biasMask[out] !== 0);
      if (foldable && (constant === 0 || !padded)) {
        for (const { index, out } of readers) fold[out] += constant * cw[index];
        continue;
      }
    }
    keep.push(u);
  }
  passThroughConstant(between, 0); // rejects unsupported layers even when nothing is removed
  // A layer needs at least one unit: keep the first (unfolded) when every unit could go.
  if (keep.length === 0) return planInterface(layers, p, c, 0);
  return { producer: p, keep, fold };
}

function copyRows(src: Parameter, dst: Parameter, rows: number[], columns: number[] | null, inner: number): void {
  const srcCols = src.size / src.shape[0] / inner;
  const cols = columns ?? Array.from({ length: srcCols }, (_, i) => i);
  const mask = src.mask ? new Uint8Array(dst.size) : null;
  let j = 0;
  for (const r of rows) {
    for (const c of cols) {
      for (let k = 0; k < inner; k++, j++) {
        const from = (r * srcCols + c) * inner + k;
        dst.value.data[j] = src.value.data[from];
        if (mask) mask[j] = src.mask![from];
      }
    }
  }
  // A sub-mask with nothing pruned is dropped: the thinned layer is plainly dense.
  if (mask && mask.includes(0)) dst.setMask(mask);
  dst.touch();
}

/** A smaller model computing the same function as `model` (see the module comment). The input model is not changed. */
export function thin(model: Sequential): Sequential {
  assertModel('model', model);
  const layers = [...model.layers];
  const weighted = layers.map((l, i) => (isWeighted(l) ? i : -1)).filter((i) => i >= 0);
  const interfaces = new Map<number, Interface>(); // keyed by consumer index
  const outKeep = new Map<number, number[]>(); // keyed by producer index
  for (let k = 0; k + 1 < weighted.length; k++) {
    const plan = planInterface(layers, weighted[k], weighted[k + 1]);
    interfaces.set(weighted[k + 1], plan);
    outKeep.set(weighted[k], plan.keep);
  }
  const result: Layer[] = [];
  let channels: number | null = null; // channel count flowing into the next layer, once thinned
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i];
    if (l instanceof Dense || l instanceof Conv2D) {
      const rows = outKeep.get(i) ?? Array.from({ length: unitsOut(l) }, (_, u) => u);
      const plan = interfaces.get(i);
      let columns: number[] | null = null;
      if (plan) {
        const span = l instanceof Dense ? l.inFeatures / unitsOut(layers[plan.producer] as Weighted) : 1;
        columns = plan.keep.flatMap((u) => Array.from({ length: span }, (_, k) => u * span + k));
      }
      let next: Weighted;
      if (l instanceof Dense) {
        next = new Dense(columns ? columns.length : l.inFeatures, rows.length, { name: l.name });
        copyRows(l.weight, next.weight, rows, columns, 1);
      } else {
        const [, h, w] = l.inputShape;
        next = new Conv2D([columns ? columns.length : l.inputShape[0], h, w], rows.length, l.kernel, { stride: l.stride, padding: l.padding, name: l.name });
        copyRows(l.weight, next.weight, rows, columns, l.kernel * l.kernel);
      }
      rows.forEach((r, j) => (next.bias.value.data[j] = l.bias.value.data[r] + (plan ? plan.fold[r] : 0)));
      if (l.bias.mask) next.bias.setMask(Uint8Array.from(rows, (r) => l.bias.mask![r]));
      next.bias.touch();
      result.push(next);
      channels = rows.length;
    } else if (l instanceof MaxPool2D) {
      const [c, h, w] = l.inputShape;
      result.push(new MaxPool2D([channels ?? c, h, w], l.size, l.stride, l.name));
    } else {
      result.push(layerFromSpec(l.spec())); // fresh, so the two models share no buffers
    }
  }
  return new Sequential(result);
}
