/**
 * The report's charts as Vega-Lite specs, built from plain numbers (the
 * report module never touches a model: the caller hands it summaries).
 * Large inputs are summarized first (histogram bins, downsampled sparsity
 * grids, the strongest connections), so each SVG stays small.
 */
import { TopLevelSpec } from 'vega-lite';

export interface StagePoint {
  stage: string;
  accuracy: number;
  bytes: number;
}

export interface WeightSet {
  name: string;
  shape: readonly number[];
  values: Float32Array;
}

const WIDTH = 520;
const HEIGHT = 260;
const percent = { format: '.1%' };

/** Points in training order; `phase` tells a pruning step from the fine-tuning that follows it. */
export function accuracyVsSparsity(points: { sparsity: number; accuracy: number; label: string; phase: string }[], baseline: number): TopLevelSpec {
  const x = { field: 'sparsity', type: 'quantitative' as const, title: 'sparsity (fraction of weights removed)', axis: percent, scale: { domain: [0, 1] } };
  const y = { field: 'accuracy', type: 'quantitative' as const, title: 'test accuracy', axis: percent, scale: { zero: false } };
  const values = points.map((p, order) => ({ ...p, order }));
  return {
    title: 'Test accuracy vs sparsity while pruning',
    width: WIDTH, height: HEIGHT,
    layer: [
      { data: { values }, mark: { type: 'line', color: '#bbb', strokeWidth: 1 }, encoding: { x, y, order: { field: 'order' } } },
      {
        data: { values },
        mark: { type: 'point', filled: true, size: 50 },
        encoding: {
          x, y,
          color: { field: 'phase', type: 'nominal', title: null, scale: { domain: ['baseline', 'just pruned', 'fine-tuned'], range: ['#d62728', '#ff7f0e', '#1f77b4'] } },
          tooltip: [{ field: 'label' }, { field: 'sparsity', format: '.3f' }, { field: 'accuracy', format: '.4f' }],
        },
      },
      {
        data: { values: [{ baseline }] },
        mark: { type: 'rule', strokeDash: [6, 4], color: '#d62728' },
        encoding: { y: { field: 'baseline', type: 'quantitative' } },
      },
      {
        data: { values: [{ baseline, text: 'dense baseline' }] },
        mark: { type: 'text', align: 'left', dx: 4, dy: -6, color: '#d62728' },
        encoding: { y: { field: 'baseline', type: 'quantitative' }, x: { value: 0 }, text: { field: 'text' } },
      },
    ],
  };
}

export function accuracyVsSize(stages: StagePoint[]): TopLevelSpec {
  return {
    title: 'Test accuracy vs model size, per stage',
    width: WIDTH, height: HEIGHT,
    data: { values: stages },
    transform: [{ window: [{ op: 'row_number', as: 'index' }] }],
    layer: [
      { mark: { type: 'line', color: '#999' } },
      { mark: { type: 'point', filled: true, size: 80 }, encoding: { color: { field: 'stage', type: 'nominal', sort: null } } },
      // Neighbouring stages can sit close together: alternate their labels above and below.
      { transform: [{ filter: 'datum.index % 2 === 1' }], mark: { type: 'text', dy: -12 }, encoding: { text: { field: 'stage' } } },
      { transform: [{ filter: 'datum.index % 2 === 0' }], mark: { type: 'text', dy: 16 }, encoding: { text: { field: 'stage' } } },
    ],
    encoding: {
      x: { field: 'bytes', type: 'quantitative', scale: { type: 'log' }, title: 'size in bytes (log scale)' },
      y: { field: 'accuracy', type: 'quantitative', axis: percent, scale: { zero: false }, title: 'test accuracy' },
      order: { field: 'bytes', sort: 'descending' },
    },
  };
}

/** Histogram bins of the non-zero values (or all values) of every layer, one panel per stage. */
export function weightHistograms(stages: { stage: string; sets: WeightSet[]; nonzeroOnly: boolean }[], codebooks: { layer: string; value: number }[], bins = 80): TopLevelSpec {
  let lo = Infinity, hi = -Infinity;
  for (const s of stages) for (const w of s.sets) for (const v of w.values) if (v !== 0 || !s.nonzeroOnly) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (!Number.isFinite(lo)) { lo = -1; hi = 1; }
  if (lo === hi) { lo -= 1; hi += 1; }
  const width = (hi - lo) / bins;
  const rows: { stage: string; layer: string; start: number; end: number; count: number }[] = [];
  for (const s of stages) {
    for (const w of s.sets) {
      const counts = new Float64Array(bins);
      for (const v of w.values) if (v !== 0 || !s.nonzeroOnly) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]++;
      counts.forEach((count, i) => count && rows.push({ stage: s.stage, layer: w.name, start: lo + i * width, end: lo + (i + 1) * width, count }));
    }
  }
  const x = { field: 'start', type: 'quantitative' as const, title: 'weight value', scale: { domain: [lo, hi] } };
  return {
    title: 'Weight distributions (pruned weights left out after pruning; codebook values marked after quantization)',
    vconcat: stages.map((s) => ({
      width: WIDTH, height: 120,
      title: s.stage,
      layer: [
        {
          data: { values: rows.filter((r) => r.stage === s.stage) },
          mark: { type: 'bar' as const, opacity: 0.85 },
          encoding: {
            x, x2: { field: 'end' },
            y: { field: 'count', type: 'quantitative' as const, aggregate: 'sum' as const, stack: true, title: 'weights' },
            color: { field: 'layer', type: 'nominal' as const },
          },
        },
        ...(s === stages[stages.length - 1] && codebooks.length
          ? [{
            data: { values: codebooks },
            mark: { type: 'tick' as const, thickness: 1, size: 12, color: '#000' },
            encoding: { x: { field: 'value', type: 'quantitative' as const, scale: { domain: [lo, hi] } }, y: { value: 125 } },
          }]
          : []),
      ],
    })),
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}

/** Fraction of weights kept in each cell of a grid of at most `cells`×`cells` over the weight's [rows, cols] view. */
export function sparsityGrid(set: WeightSet, cells = 32): { row: number; col: number; kept: number }[] {
  const rows = set.shape[0];
  const cols = set.values.length / rows;
  const rStep = Math.ceil(rows / cells), cStep = Math.ceil(cols / cells);
  const gr = Math.ceil(rows / rStep), gc = Math.ceil(cols / cStep);
  const kept = new Float64Array(gr * gc), total = new Float64Array(gr * gc);
  for (let r = 0; r < rows; r++) {
    const base = Math.floor(r / rStep) * gc;
    for (let c = 0; c < cols; c++) {
      const cell = base + Math.floor(c / cStep);
      total[cell]++;
      if (set.values[r * cols + c] !== 0) kept[cell]++;
    }
  }
  return Array.from(kept, (k, i) => ({ row: Math.floor(i / gc) * rStep, col: (i % gc) * cStep, kept: k / total[i] }));
}

export function sparsityMaps(sets: WeightSet[]): TopLevelSpec {
  return {
    title: 'Where the surviving weights are (fraction kept per cell; rows = output units, columns = inputs)',
    hconcat: sets.map((s) => ({
      title: `${s.name} [${s.shape.join('×')}]`,
      width: sets.length > 3 ? 140 : 180, height: sets.length > 3 ? 140 : 180,
      data: { values: sparsityGrid(s) },
      mark: { type: 'rect' as const },
      encoding: {
        x: { field: 'col', type: 'ordinal' as const, axis: null, title: 'inputs' },
        y: { field: 'row', type: 'ordinal' as const, axis: null, title: 'outputs' },
        color: { field: 'kept', type: 'quantitative' as const, scale: { domainMin: 0, scheme: 'greys' }, title: 'kept' },
      },
    })),
    resolve: { scale: { color: 'independent' } },
  } as TopLevelSpec;
}

export function compressionBreakdown(layers: { layer: string; stage: string; bytes: number }[]): TopLevelSpec {
  return {
    title: 'Bytes per layer at each Deep Compression stage (log scale)',
    width: WIDTH, height: HEIGHT,
    data: { values: layers },
    mark: 'bar',
    encoding: {
      x: { field: 'layer', type: 'nominal', title: null },
      xOffset: { field: 'stage', sort: null },
      y: { field: 'bytes', type: 'quantitative', scale: { type: 'log' }, stack: null, title: 'bytes' },
      color: { field: 'stage', type: 'nominal', sort: null },
      tooltip: [{ field: 'layer' }, { field: 'stage' }, { field: 'bytes' }],
    },
  };
}

export function sensitivityCurves(curves: { layer: string; sparsity: number; accuracy: number }[]): TopLevelSpec {
  return {
    title: 'Sensitivity: test accuracy with one layer pruned at a time',
    width: WIDTH, height: HEIGHT,
    data: { values: curves },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'sparsity', type: 'quantitative', axis: percent, title: 'sparsity of that layer' },
      y: { field: 'accuracy', type: 'quantitative', axis: percent, title: 'test accuracy' },
      color: { field: 'layer', type: 'nominal' },
    },
  };
}

export interface GraphLayer {
  name: string;
  /** Dense weight [out, in]. */
  shape: readonly number[];
  values: Float32Array;
}

/**
 * A fully connected network as a graph: one column of neurons per layer,
 * the surviving connections as edges (the strongest `maxEdges` by |w|,
 * darker when stronger, blue positive, red negative).
 */
export function networkGraph(layers: GraphLayer[], maxEdges = 2500): { spec: TopLevelSpec; shown: number; total: number } {
  const sizes = [layers[0].shape[1], ...layers.map((l) => l.shape[0])];
  const y = (column: number, unit: number) => (sizes[column] === 1 ? 0.5 : unit / (sizes[column] - 1));
  const edges: { x: number; y: number; x2: number; y2: number; w: number }[] = [];
  const live = sizes.map((n) => new Uint8Array(n));
  for (let k = 0; k < layers.length; k++) {
    const [out, inputs] = layers[k].shape;
    const v = layers[k].values;
    for (let o = 0; o < out; o++) {
      for (let i = 0; i < inputs; i++) {
        const w = v[o * inputs + i];
        if (w !== 0) {
          edges.push({ x: k, y: y(k, i), x2: k + 1, y2: y(k + 1, o), w });
          live[k][i] = 1;
          live[k + 1][o] = 1;
        }
      }
    }
  }
  const total = edges.length;
  edges.sort((a, b) => Math.abs(b.w) - Math.abs(a.w));
  const shown = edges.slice(0, maxEdges);
  const maxAbs = shown.length ? Math.abs(shown[0].w) : 1;
  const nodes = sizes.flatMap((n, column) => Array.from({ length: n }, (_, u) => ({ x: column, y: y(column, u), alive: live[column][u] ? 'connected' : 'disconnected' })));
  const spec: TopLevelSpec = {
    title: `The pruned network: ${shown.length.toLocaleString('en-US')} strongest of ${total.toLocaleString('en-US')} surviving connections`,
    width: WIDTH, height: 420,
    layer: [
      {
        data: { values: shown.map((e) => ({ ...e, strength: Math.abs(e.w) / maxAbs, sign: e.w > 0 ? 'positive' : 'negative' })) },
        mark: { type: 'rule', strokeWidth: 0.6 },
        encoding: {
          x: { field: 'x', type: 'quantitative', axis: { values: sizes.map((_, i) => i), title: 'layer (inputs on the left)', format: 'd' } },
          y: { field: 'y', type: 'quantitative', axis: null },
          x2: { field: 'x2' }, y2: { field: 'y2' },
          opacity: { field: 'strength', type: 'quantitative', scale: { domain: [0, 1], range: [0.05, 0.9] }, legend: null },
          color: { field: 'sign', type: 'nominal', scale: { domain: ['positive', 'negative'], range: ['#1f77b4', '#d62728'] }, title: 'weight' },
        },
      },
      {
        data: { values: nodes },
        mark: { type: 'circle', size: 10 },
        encoding: {
          x: { field: 'x', type: 'quantitative' },
          y: { field: 'y', type: 'quantitative' },
          fill: { field: 'alive', type: 'nominal', scale: { domain: ['connected', 'disconnected'], range: ['#222', '#ddd'] }, title: 'neuron' },
        },
      },
    ],
    resolve: { scale: { color: 'independent' } },
  };
  return { spec, shown: shown.length, total };
}
