/**
 * Dense matrix products: C = alpha * op(A) * op(B) + beta * C.
 * OpenBLAS (or the built-in blocked kernel), threaded by the addon.
 * NaN and Inf in A or B propagate by IEEE rules; they are not rejected.
 */
import { assertBoolean, assertDisjoint, assertInRange, assertShape, expected, formatShape, optionsObject } from '../validate';
import { ShapeError } from '../errors';
import { atCallSite, native } from '../native';
import { Tensor, assertTensor } from '../tensor';

export interface GemmOptions {
  /** Use Aᵀ: A is given as (K, M). */
  transA?: boolean;
  /** Use Bᵀ: B is given as (N, K). */
  transB?: boolean;
  alpha?: number;
  /** Scale of C's prior content; 0 (the default) overwrites C without reading it. */
  beta?: number;
  /** Output (M, N); allocated when omitted. Must not share memory with A or B. */
  out?: Tensor;
}

interface Plan {
  c: Tensor;
  a: Tensor;
  b: Tensor;
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  alpha: number;
  beta: number;
}

function plan(a: Tensor, b: Tensor, options: GemmOptions): Plan {
  assertTensor('a', a, 2);
  assertTensor('b', b, 2);
  const { transA = false, transB = false, alpha = 1, beta = 0, out } = optionsObject('options', options, ['transA', 'transB', 'alpha', 'beta', 'out']);
  assertBoolean('options.transA', transA);
  assertBoolean('options.transB', transB);
  assertInRange('options.alpha', alpha, -Infinity, Infinity);
  assertInRange('options.beta', beta, -Infinity, Infinity);
  const [m, ka] = transA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [kb, n] = transB ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (ka !== kb) {
    throw new ShapeError(
      expected(`${transB ? 'columns' : 'rows'} of b equal to K = ${ka}`, 'b', `shape ${formatShape(b.shape)}`),
    );
  }
  let c: Tensor;
  if (out === undefined) {
    c = Tensor.zeros([m, n]);
  } else {
    assertTensor('options.out', out, 2);
    assertShape('options.out', out.shape, [m, n]);
    assertDisjoint('options.out', out.data, 'a', a.data);
    assertDisjoint('options.out', out.data, 'b', b.data);
    c = out;
  }
  return { c, a, b, transA, transB, m, n, k: ka, alpha, beta };
}

/** Returns op(A)·op(B) (times alpha, plus beta·out when out is given). */
export function gemm(a: Tensor, b: Tensor, options: GemmOptions = {}): Tensor {
  const p = plan(a, b, options);
  native.gemm(p.c.data, p.a.data, p.b.data, p.transA, p.transB, p.m, p.n, p.k, p.alpha, p.beta);
  return p.c;
}

/** gemm on the libuv thread pool; the event loop stays free while it runs. */
export async function gemmAsync(a: Tensor, b: Tensor, options: GemmOptions = {}): Promise<Tensor> {
  const p = plan(a, b, options);
  await atCallSite(native.gemmAsync(p.c.data, p.a.data, p.b.data, p.transA, p.transB, p.m, p.n, p.k, p.alpha, p.beta));
  return p.c;
}
