/**
 * Semi-structured sparsity, as TensorFlow's model-optimization toolkit
 * offers it:
 *   nm({ n, m })           N:M — in every group of m consecutive weights
 *                          along a row (the input dimension), keep the n
 *                          largest |w| (2:4 is what sparse tensor cores run);
 *                          the sparsity is fixed at 1 − n/m.
 *   block({ rows, cols })  blocks of rows×cols weights of the [out, rest]
 *                          view pruned together by mean |w|; edge blocks may
 *                          be smaller.
 */
import { ArgumentRangeError } from '../errors';
import { assertInteger, expected, optionsObject } from '../validate';
import { assertFiniteWeights } from './checks';
import { PruningMethod, UnitLayout, scoreMethod } from './method';
import { Target, assertTargets } from './targets';

export function nm(options: { n: number; m: number }): PruningMethod {
  const { n, m } = optionsObject('options', options, ['n', 'm']);
  assertInteger('options.m', m, 1, 1 << 16);
  assertInteger('options.n', n, 0, m - 1);
  return {
    name: `${n}:${m}`,
    prune(targets: Target[]) {
      assertTargets('targets', targets);
      assertFiniteWeights(targets);
      for (const { param } of targets) {
        const cols = param.size / param.shape[0];
        if (cols % m !== 0) {
          throw new ArgumentRangeError(
            expected(`a layer whose row length is a multiple of m = ${m}`, 'options.m', `${param.name} with rows of ${cols} weights`),
          );
        }
      }
      for (const { param } of targets) {
        const w = param.value.data;
        const old = param.mask;
        const mask = new Uint8Array(w.length);
        const order = new Int32Array(m);
        for (let g = 0; g < w.length; g += m) {
          for (let k = 0; k < m; k++) order[k] = g + k;
          // Pruned weights rank lowest; ties keep the earlier weight (a stable sort by |w| descending).
          const rank = (i: number) => (old && !old[i] ? -1 : Math.abs(w[i]));
          const sorted = Array.from(order).sort((a, b) => rank(b) - rank(a) || a - b);
          for (let k = 0; k < n; k++) if (!old || old[sorted[k]]) mask[sorted[k]] = 1;
        }
        param.setMask(mask);
      }
    },
  };
}

function blockGeometry(t: Target, rows: number, cols: number) {
  const height = t.param.shape[0];
  const width = t.param.size / height;
  const across = Math.ceil(width / cols);
  const count = Math.ceil(height / rows) * across;
  const forEach = (b: number, fn: (index: number) => void) => {
    const r0 = Math.floor(b / across) * rows, c0 = (b % across) * cols;
    for (let r = r0; r < Math.min(r0 + rows, height); r++) for (let c = c0; c < Math.min(c0 + cols, width); c++) fn(r * width + c);
  };
  return { count, forEach };
}

export function block(options: { rows: number; cols: number }): PruningMethod {
  const { rows, cols } = optionsObject('options', options, ['rows', 'cols']);
  assertInteger('options.rows', rows, 1);
  assertInteger('options.cols', cols, 1);
  const layout: UnitLayout = {
    count: (t) => blockGeometry(t, rows, cols).count,
    live: (t) => {
      const g = blockGeometry(t, rows, cols);
      const live = new Uint8Array(g.count);
      const mask = t.param.mask;
      for (let b = 0; b < g.count; b++) g.forEach(b, (i) => (live[b] |= !mask || mask[i] ? 1 : 0));
      return live;
    },
    expand: (t, unitMask) => {
      const g = blockGeometry(t, rows, cols);
      const mask = new Uint8Array(t.param.size);
      for (let b = 0; b < g.count; b++) if (unitMask[b]) g.forEach(b, (i) => (mask[i] = 1));
      return mask;
    },
  };
  return scoreMethod({
    name: `block ${rows}x${cols}`,
    units: layout,
    scores: (t) => {
      const g = blockGeometry(t, rows, cols);
      const w = t.param.value.data;
      const s = new Float32Array(g.count);
      for (let b = 0; b < g.count; b++) {
        let sum = 0, size = 0;
        g.forEach(b, (i) => {
          sum += Math.abs(w[i]);
          size++;
        });
        s[b] = sum / size;
      }
      return s;
    },
  });
}
