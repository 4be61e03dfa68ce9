/**
 * Data-dependent initialization: layer by layer, run a batch of real inputs
 * through the network and rescale each layer's weights so its outputs have
 * unit variance on that batch. The initializer picked at construction fixes
 * the directions; this fixes the scales, so deep or badly scaled networks
 * start trainable. Two methods:
 *
 * - 'per-unit' (the default; Krähenbühl et al., "Data-dependent
 *   Initializations of Convolutional Neural Networks", arXiv 1511.06856, the
 *   within-layer step): each output unit's weights and bias are rescaled in
 *   one pass so its pre-activation has zero mean and unit variance.
 * - 'lsuv' (Mishkin & Matas, "All you need is a good init", arXiv 1511.06422,
 *   layer-sequential unit-variance): the whole layer's weights are divided by
 *   the standard deviation of its outputs, repeatedly, until that variance is
 *   within `tolerance` of 1 or `maxIterations` passes are spent. Biases stay
 *   as they are. The paper starts from orthonormal weights: build the model
 *   with init 'orthogonal'.
 *
 * Masked (pruned) weights stay exactly zero under both: they are only scaled.
 * A layer whose outputs do not vary on the batch is left as it is by LSUV.
 */
import { ArgumentRangeError } from '../errors';
import { Tensor, assertTensor } from '../tensor';
import { assertInRange, assertInteger, expected, optionsObject, quoted } from '../validate';
import { Conv2D } from './conv';
import { Dense } from './dense';
import { Sequential, assertModel } from './sequential';

export interface DataInitOptions {
  method?: 'per-unit' | 'lsuv';
  /** LSUV stops when |variance − 1| < tolerance (the paper's 0.1). */
  tolerance?: number;
  /** LSUV passes per layer at most (the paper's 10). */
  maxIterations?: number;
  /** Added to each standard deviation before dividing. */
  eps?: number;
}

/** What the initialization did to one layer. */
export interface DataInitLayerReport {
  layer: string;
  /** Rescaling passes (1 for 'per-unit'). */
  iterations: number;
  /** Variance of the layer's outputs on the batch before and after. */
  varianceBefore: number;
  varianceAfter: number;
}

type Scaled = Dense | Conv2D;

/** Variance of all of a layer's outputs on the batch, pooled over units. */
function variance(out: Tensor): number {
  let sum = 0, sq = 0;
  for (let i = 0; i < out.size; i++) {
    const v = out.data[i];
    sum += v;
    sq += v * v;
  }
  const mean = sum / out.size;
  return Math.max(sq / out.size - mean * mean, 0);
}

function scaleWeights(layer: Scaled, factor: number): void {
  const w = layer.weight.value.data;
  for (let i = 0; i < w.length; i++) w[i] *= factor;
  layer.weight.touch();
}

function perUnit(layer: Scaled, out: Tensor, eps: number): void {
  const units = layer instanceof Dense ? layer.outFeatures : layer.outChannels;
  const batch = out.shape[0];
  const per = out.size / (batch * units); // spatial positions per unit (1 for Dense)
  const w = layer.weight.value.data, b = layer.bias.value.data;
  const fan = w.length / units;
  for (let u = 0; u < units; u++) {
    let sum = 0, sq = 0;
    for (let n = 0; n < batch; n++) {
      for (let s = 0; s < per; s++) {
        const v = out.data[(n * units + u) * per + s];
        sum += v;
        sq += v * v;
      }
    }
    const count = batch * per;
    const mean = sum / count;
    const std = Math.sqrt(Math.max(sq / count - mean * mean, 0)) + eps;
    for (let k = 0; k < fan; k++) w[u * fan + k] /= std;
    b[u] = (b[u] - mean) / std;
  }
  layer.weight.touch();
  layer.bias.touch();
}

export function dataDependentInit(model: Sequential, x: Tensor, options: DataInitOptions = {}): DataInitLayerReport[] {
  assertModel('model', model);
  const { method = 'per-unit', tolerance = 0.1, maxIterations = 10, eps = 1e-6 } = optionsObject('options', options, ['method', 'tolerance', 'maxIterations', 'eps']);
  if (method !== 'per-unit' && method !== 'lsuv') {
    throw new ArgumentRangeError(expected("'per-unit' or 'lsuv'", 'options.method', quoted(method)));
  }
  assertTensor('x', x);
  assertInRange('options.tolerance', tolerance, 0, 1, { minExclusive: true, maxExclusive: true });
  assertInteger('options.maxIterations', maxIterations, 1, 1000);
  assertInRange('options.eps', eps, 0, 1, { minExclusive: true });
  const reports: DataInitLayerReport[] = [];
  let h = x;
  for (const layer of model.layers) {
    let out = layer.forward(h, 'eval');
    if (layer instanceof Dense || layer instanceof Conv2D) {
      const varianceBefore = variance(out);
      let iterations = 0;
      if (method === 'per-unit') {
        perUnit(layer, out, eps);
        iterations = 1;
        out = layer.forward(h, 'eval');
      } else {
        // A layer whose outputs do not vary on the batch (e.g. all inputs 0) has no scale to fix: dividing would blow it up.
        const fixable = (v: number) => v > 0 && Number.isFinite(v);
        for (let v = varianceBefore; fixable(v) && Math.abs(v - 1) >= tolerance && iterations < maxIterations; iterations++) {
          scaleWeights(layer, 1 / (Math.sqrt(v) + eps));
          out = layer.forward(h, 'eval');
          v = variance(out);
        }
      }
      reports.push({ layer: layer.name, iterations, varianceBefore, varianceAfter: variance(out) });
    }
    h = out;
  }
  return reports;
}
