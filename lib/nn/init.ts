/**
 * Weight initialisers, by name. Fan-in/fan-out of a [out, in] weight are in
 * and out (for convolutions, times the kernel area).
 *   he      normal, std = sqrt(2 / fanIn)                 (He et al. 2015, for ReLU)
 *   xavier  uniform in ±sqrt(6 / (fanIn + fanOut))        (Glorot & Bengio 2010)
 *   lecun   normal, std = sqrt(1 / fanIn)                  (LeCun et al. 1998)
 *   zeros
 */
import { ArgumentRangeError } from '../errors';
import { Random } from '../random';
import { Tensor } from '../tensor';
import { expected } from '../validate';

export type InitializerName = 'he' | 'xavier' | 'lecun' | 'zeros';
export const INITIALIZERS: readonly InitializerName[] = ['he', 'xavier', 'lecun', 'zeros'];

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
    case 'zeros':
      d.fill(0);
      return;
    default:
      throw new ArgumentRangeError(expected(`one of ${INITIALIZERS.join(', ')}`, 'init', `'${String(name)}'`));
  }
}
