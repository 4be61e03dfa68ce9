/**
 * Regularization-driven pruning: train with L1 or (sparse) group lasso
 * (train/regularizers), then prune what the penalty drove to (near) zero —
 * single weights with pruneBelow(), whole neurons and filters with
 * pruneDeadUnits() — and thin() the result: the network has learned how many
 * neurons it needs.
 */
import { Conv2D } from '../nn/conv';
import { Dense } from '../nn/dense';
import { Sequential, assertModel } from '../nn/sequential';
import { assertInRange, optionsObject } from '../validate';
import { assertFiniteWeights } from './checks';
import { PruneReport, report } from './method';
import { unitGeometry, unitNorms } from './structured';
import { PruneSource, TARGET_OPTIONS, TargetOptions, selectTargets } from './targets';

/** Prunes every weight with |w| <= tolerance. */
export function pruneBelow(source: PruneSource, tolerance: number, options: TargetOptions = {}): PruneReport {
  assertInRange('tolerance', tolerance, 0, Infinity);
  const targets = selectTargets(source, optionsObject('options', options, TARGET_OPTIONS));
  assertFiniteWeights(targets);
  for (const { param } of targets) {
    const w = param.value.data;
    const mask = param.mask ? param.mask.slice() : new Uint8Array(w.length).fill(1);
    for (let i = 0; i < w.length; i++) if (Math.abs(w[i]) <= tolerance) mask[i] = 0;
    param.setMask(mask);
  }
  return report(`|w| <= ${tolerance}`, targets);
}

export interface DeadUnits {
  layer: string;
  units: number;
  /** Units whose incoming weights have L2 norm <= tolerance (they output a constant). */
  deadIn: number;
  /** Units whose outgoing weights in the next layer have L2 norm <= tolerance (nothing reads them). */
  deadOut: number;
}

/**
 * Masks the incoming weights of hidden units whose incoming L2 norm is at
 * most `tolerance`, and the outgoing weights (next layer's columns / input
 * channels) of units read with at most that norm. The output layer's units
 * stay. thin() then removes them.
 */
export function pruneDeadUnits(model: Sequential, tolerance: number): DeadUnits[] {
  assertModel('model', model);
  assertInRange('tolerance', tolerance, 0, Infinity);
  const weighted = model.layers.filter((l): l is Dense | Conv2D => l instanceof Dense || l instanceof Conv2D);
  const targets = selectTargets(model).filter((t) => weighted.some((l) => l.weight === t.param));
  const out: DeadUnits[] = [];
  for (let k = 0; k + 1 < targets.length; k++) {
    const producer = targets[k], consumer = targets[k + 1];
    const units = producer.param.shape[0];
    const incoming = unitNorms(producer, 'neurons');
    const outgoing = unitNorms(consumer, 'channels');
    // After a flatten a unit feeds several consumer columns: sum their squared norms per unit.
    const span = outgoing.length / units;
    const produced = producer.param.mask?.slice() ?? new Uint8Array(producer.param.size).fill(1);
    const consumed = consumer.param.mask?.slice() ?? new Uint8Array(consumer.param.size).fill(1);
    const pg = unitGeometry(producer.param.shape, 'neurons');
    const cg = unitGeometry(consumer.param.shape, 'channels');
    let deadIn = 0, deadOut = 0;
    for (let u = 0; u < units; u++) {
      let sq = 0;
      for (let s = 0; s < span; s++) sq += outgoing[u * span + s] ** 2;
      if (incoming[u] <= tolerance) {
        deadIn++;
        for (let j = 0; j < pg.each; j++) produced[pg.index(u, j)] = 0;
      }
      if (Math.sqrt(sq) <= tolerance) {
        deadOut++;
        for (let s = 0; s < span; s++) for (let j = 0; j < cg.each; j++) consumed[cg.index(u * span + s, j)] = 0;
      }
    }
    producer.param.setMask(produced);
    consumer.param.setMask(consumed);
    out.push({ layer: producer.layer, units, deadIn, deadOut });
  }
  return out;
}
