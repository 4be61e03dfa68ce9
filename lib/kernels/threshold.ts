/**
 * Exact magnitude thresholds for pruning, by radix selection in O(n) (no
 * sort), per tensor or global over many tensors, and percentiles.
 *
 * `amount` follows torch.nn.utils.prune: an integer >= 1 is a count of
 * weights to prune; a number in [0, 1) is a fraction, pruning
 * round(amount * n) weights with ties rounded half to even, as Python's
 * round() does (0.5 of 5 weights prunes 2).
 *
 * Exactly that many weights are pruned. Tie rule: every weight whose
 * magnitude is below the threshold T (the k-th smallest magnitude), then
 * weights with magnitude exactly T in order of (tensor, index) until k are
 * pruned. NaN in the input raises NonFiniteError naming its position.
 */
import { ArgumentRangeError, ArgumentTypeError, NonFiniteError } from '../errors';
import {
  assertDisjoint, assertFloat32Array, assertInRange, assertInteger, assertLength, assertUint8Array, describe, expected,
  optionsObject,
} from '../validate';
import { NativeThreshold, atCallSite, native } from '../native';

/** Python's round(): to nearest, ties to even. */
export function roundHalfEven(x: number): number {
  assertInRange('x', x, -Infinity, Infinity);
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Number of weights `amount` prunes out of n (see the module comment). */
export function pruneCount(amount: number, n: number, name = 'amount'): number {
  assertInteger('n', n);
  if (typeof amount !== 'number') throw new ArgumentTypeError(expected('a number', name, describe(amount)));
  if (Number.isInteger(amount) && amount >= 1) {
    if (amount > n) throw new ArgumentRangeError(expected(`a count of at most ${n} weights`, name, describe(amount)));
    return amount;
  }
  if (!(amount >= 0 && amount < 1)) {
    throw new ArgumentRangeError(expected(`a fraction in [0, 1)${n > 0 ? ` or a whole count of weights in [1, ${n}]` : ''}`, name, describe(amount)));
  }
  return roundHalfEven(amount * n);
}

export interface ThresholdResult {
  /** The k-th smallest magnitude (0 when nothing is pruned). */
  threshold: number;
  /** Weights pruned (exactly the count `amount` asks for). */
  pruned: number;
  /** 0 = pruned, 1 = kept. */
  mask: Uint8Array;
}

export interface GlobalThresholdResult {
  threshold: number;
  pruned: number;
  masks: Uint8Array[];
}

interface Plan {
  tensors: Float32Array[];
  masks: Uint8Array[];
  k: number;
}

function plan(given: Float32Array[], amount: number, givenMasks: Uint8Array[] | undefined, names: string[]): Plan {
  // Validated and passed on as snapshots: an element getter could otherwise
  // hand the native call other arrays than the ones checked here.
  if (givenMasks !== undefined && !Array.isArray(givenMasks)) {
    throw new ArgumentTypeError(expected('an array of Uint8Array', 'options.masks', describe(givenMasks)));
  }
  const tensors = Array.from(given);
  const masks = givenMasks && Array.from(givenMasks);
  tensors.forEach((t, i) => assertFloat32Array(names[i], t));
  const total = tensors.reduce((sum, t) => sum + t.length, 0);
  const k = pruneCount(amount, total);
  const out = masks ?? tensors.map((t) => new Uint8Array(t.length));
  if (masks) {
    assertLength('options.masks', masks.length, tensors.length);
    masks.forEach((m, i) => {
      const name = masks.length === 1 && names.length === 1 ? 'options.mask' : `options.masks[${i}]`;
      assertUint8Array(name, m);
      assertLength(name, m.length, tensors[i].length);
      tensors.forEach((t, j) => assertDisjoint(name, m, names[j], t));
    });
  }
  return { tensors, masks: out, k };
}

function check(raw: NativeThreshold, names: string[]): void {
  if (raw.nanTensor >= 0) {
    throw new NonFiniteError(`Expected finite values for ${names[raw.nanTensor]} but received NaN at index ${raw.nanIndex}`);
  }
}

function tensorNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `tensors[${i}]`);
}

/** Mask pruning exactly pruneCount(amount, x.length) smallest-magnitude weights of x. */
export function magnitudeThreshold(x: Float32Array, amount: number, options: { mask?: Uint8Array } = {}): ThresholdResult {
  const { mask } = optionsObject('options', options, ['mask']);
  const p = plan([x], amount, mask ? [mask] : undefined, ['x']);
  const raw = native.magnitudeThreshold(p.tensors, p.masks, p.k);
  check(raw, ['x']);
  return { threshold: raw.threshold, pruned: raw.pruned, mask: p.masks[0] };
}

export async function magnitudeThresholdAsync(
  x: Float32Array,
  amount: number,
  options: { mask?: Uint8Array } = {},
): Promise<ThresholdResult> {
  const { mask } = optionsObject('options', options, ['mask']);
  const p = plan([x], amount, mask ? [mask] : undefined, ['x']);
  const raw = await atCallSite(native.magnitudeThresholdAsync(p.tensors, p.masks, p.k));
  check(raw, ['x']);
  return { threshold: raw.threshold, pruned: raw.pruned, mask: p.masks[0] };
}

function assertTensorList(tensors: unknown): asserts tensors is Float32Array[] {
  if (!Array.isArray(tensors)) throw new ArgumentTypeError(expected('an array of Float32Array', 'tensors', describe(tensors)));
}

/** One threshold across all tensors (global pruning): prunes exactly pruneCount(amount, total) weights. */
export function globalMagnitudeThreshold(
  tensors: Float32Array[],
  amount: number,
  options: { masks?: Uint8Array[] } = {},
): GlobalThresholdResult {
  assertTensorList(tensors);
  const names = tensorNames(tensors.length);
  const p = plan(tensors, amount, optionsObject('options', options, ['masks']).masks, names);
  const raw = native.magnitudeThreshold(p.tensors, p.masks, p.k);
  check(raw, names);
  return { threshold: raw.threshold, pruned: raw.pruned, masks: p.masks };
}

export async function globalMagnitudeThresholdAsync(
  tensors: Float32Array[],
  amount: number,
  options: { masks?: Uint8Array[] } = {},
): Promise<GlobalThresholdResult> {
  assertTensorList(tensors);
  const names = tensorNames(tensors.length);
  const p = plan(tensors, amount, optionsObject('options', options, ['masks']).masks, names);
  const raw = await atCallSite(native.magnitudeThresholdAsync(p.tensors, p.masks, p.k));
  check(raw, names);
  return { threshold: raw.threshold, pruned: raw.pruned, masks: p.masks };
}

/** The k-th smallest magnitude (1-based) across one or more tensors, without writing a mask. */
export function kthSmallestMagnitude(x: Float32Array | Float32Array[], k: number): number {
  const tensors = Array.isArray(x) ? x : [x];
  const names = Array.isArray(x) ? tensorNames(tensors.length) : ['x'];
  tensors.forEach((t, i) => assertFloat32Array(names[i], t));
  const total = tensors.reduce((sum, t) => sum + t.length, 0);
  assertInteger('k', k, 1, Math.max(1, total));
  if (total === 0) throw new ArgumentRangeError(expected('at least one value', 'x', 'no values'));
  const raw = native.magnitudeThreshold(tensors, null, k);
  check(raw, names);
  return raw.threshold;
}

function planPercentile(x: Float32Array, q: number): void {
  assertFloat32Array('x', x);
  if (x.length === 0) throw new ArgumentRangeError(expected('a non-empty Float32Array', 'x', 'length 0'));
  assertInRange('q', q, 0, 100);
}

function percentileValue(raw: { value: number; nanIndex: number }): number {
  if (raw.nanIndex >= 0) throw new NonFiniteError(`Expected finite values for x but received NaN at index ${raw.nanIndex}`);
  return raw.value;
}

/** The q-th percentile (q in [0, 100]) with linear interpolation, as numpy.percentile's default. */
export function percentile(x: Float32Array, q: number): number {
  planPercentile(x, q);
  return percentileValue(native.percentile(x, q));
}

export async function percentileAsync(x: Float32Array, q: number): Promise<number> {
  planPercentile(x, q);
  return percentileValue(await atCallSite(native.percentileAsync(x, q)));
}
