/** Copies of a model's parameter values and masks, to rewind or restore. */
import { ArgumentTypeError, ShapeError } from '../errors';
import { assertFloat32Array, assertObject, assertUint8Array, describe, expected } from '../validate';
import { Parameter } from '../nn/parameter';
import { PruneSource, parametersOf } from './targets';

export interface Snapshot {
  values: Float32Array[];
  masks: (Uint8Array | null)[];
}

export function snapshot(source: PruneSource): Snapshot {
  const params = parametersOf(source);
  return { values: params.map((p) => p.value.data.slice()), masks: params.map((p) => p.mask?.slice() ?? null) };
}

/** Every value and mask is checked before the first is written: a bad entry must not leave the model half restored. */
function check(params: Parameter[], snap: Snapshot): void {
  assertObject('snapshot', snap, 'a snapshot (from snapshot())');
  const { values, masks } = snap;
  if (!Array.isArray(values)) throw new ArgumentTypeError(expected('an array of Float32Array', 'snapshot.values', describe(values)));
  if (!Array.isArray(masks)) throw new ArgumentTypeError(expected('an array of Uint8Array or null', 'snapshot.masks', describe(masks)));
  values.forEach((v, i) => assertFloat32Array(`snapshot.values[${i}]`, v));
  masks.forEach((m, i) => m === null || assertUint8Array(`snapshot.masks[${i}]`, m));
  const fits = (a: Float32Array | Uint8Array | null, p: Parameter) => a === null || a.length === p.size;
  if (params.length !== values.length || params.length !== masks.length || params.some((p, i) => !fits(values[i], p) || !fits(masks[i], p))) {
    throw new ShapeError('the snapshot was taken from a model with different parameters');
  }
}

/** Restores values and masks. */
export function restore(source: PruneSource, snap: Snapshot): void {
  const params = parametersOf(source);
  check(params, snap);
  params.forEach((p, i) => {
    p.value.data.set(snap.values[i]);
    p.setMask(snap.masks[i]?.slice() ?? null);
  });
}

/** Restores values only and re-applies each parameter's current mask (lottery-ticket rewinding). */
export function rewind(source: PruneSource, snap: Snapshot): void {
  const params = parametersOf(source);
  check(params, snap);
  params.forEach((p, i) => {
    p.value.data.set(snap.values[i]);
    p.setMask(p.mask);
  });
}
