/** Copies of a model's parameter values and masks, to rewind or restore. */
import { ShapeError } from '../errors';
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

function check(params: Parameter[], snap: Snapshot): void {
  if (params.length !== snap.values.length || params.some((p, i) => p.size !== snap.values[i].length)) {
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
