/**
 * Weight initialisers, by name. Fan-in/fan-out of a [out, in] weight are in
 * and out (for convolutions, times the kernel area).
 *   he      normal, std = sqrt(2 / fanIn)                 (He et al. 2015, for ReLU)
 *   xavier  uniform in ±sqrt(6 / (fanIn + fanOut))        (Glorot & Bengio 2010)
 *   lecun   normal, std = sqrt(1 / fanIn)                  (LeCun et al. 1998)
 *   orthogonal  rows (or columns) orthonormal, gain sqrt(2) (Saxe et al., arXiv 1312.6120)
 *   zeros
 */
import { ArgumentRangeError } from '../errors';
import { Random } from '../random';
import { Tensor } from '../tensor';
import { expected } from '../validate';

export type InitializerName = 'he' | 'xavier' | 'lecun' | 'orthogonal' | 'zeros';
export const INITIALIZERS: readonly InitializerName[] = ['he', 'xavier', 'lecun', 'orthogonal', 'zeros'];

export function initialize(t: Tensor, name: InitializerName, fanIn: number, fanOut: number, rng: Random): void {
  const d = t.data;
  switch (name) {
    case 'he': {
      const std = Math.sqrt(2 / fanIn);
      for (let i = 0; i < d.length; i++) d[i] = std * rng.normal();
      return;
    }
    case 'lecun': {
      const std = Math.sqrt(1 / fanIn);
      for (let i = 0; i < d.length; i++) d[i] = std * rng.normal();
      return;
    }
    case 'xavier': {
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < d.length; i++) d[i] = (2 * rng.next() - 1) * limit;
      return;
    }
    case 'orthogonal':
      orthogonal(t, rng, Math.SQRT2);
      return;
    case 'zeros':
      d.fill(0);
      return;
    default:
      throw new ArgumentRangeError(expected(`one of ${INITIALIZERS.join(', ')}`, 'init', `'${String(name)}'`));
  }
}

/**
 * Fills t (viewed as [shape[0], rest]) with an orthonormal set of rows, or of
 * columns when there are more rows than columns, times gain: modified
 * Gram–Schmidt on a Gaussian matrix, in float64.
 */
function orthogonal(t: Tensor, rng: Random, gain: number): void {
  const rows = t.shape[0], cols = t.size / rows;
  const transpose = rows > cols;
  const [n, m] = transpose ? [cols, rows] : [rows, cols]; // n vectors of length m, n <= m
  const v = Array.from({ length: n }, () => Float64Array.from({ length: m }, () => rng.normal()));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      let dot = 0;
      for (let k = 0; k < m; k++) dot += v[i][k] * v[j][k];
      for (let k = 0; k < m; k++) v[i][k] -= dot * v[j][k];
    }
    let norm = 0;
    for (let k = 0; k < m; k++) norm += v[i][k] ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let k = 0; k < m; k++) v[i][k] /= norm;
  }
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < m; k++) t.data[transpose ? k * cols + i : i * cols + k] = gain * v[i][k];
  }
}
