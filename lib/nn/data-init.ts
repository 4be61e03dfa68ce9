/**
 * Data-dependent initialization (Krähenbühl et al., "Data-dependent
 * Initializations of Convolutional Neural Networks", arXiv 1511.06856, the
 * within-layer step): layer by layer, run a batch of real inputs through the
 * network and rescale each output unit's weights and bias so its
 * pre-activation has zero mean and unit variance on that batch. The
 * initializer picked at construction fixes the directions; this fixes the
 * scales, so deep or badly scaled networks start trainable.
 */
import { Tensor } from '../tensor';
import { Conv2D } from './conv';
import { Dense } from './dense';
import { Sequential } from './sequential';

export function dataDependentInit(model: Sequential, x: Tensor, options: { eps?: number } = {}): void {
  const eps = options.eps ?? 1e-6;
  let h = x;
  for (const layer of model.layers) {
    const out = layer.forward(h, 'eval');
    if (layer instanceof Dense || layer instanceof Conv2D) {
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
      h = layer.forward(h, 'eval');
    } else {
      h = out;
    }
  }
}
