/**
 * The report: one self-contained HTML file (inline SVG charts, inline CSS,
 * no script, no external resource) describing a prunekit run.
 */
import { TopLevelSpec } from 'vega-lite';
import {
  GraphLayer, StagePoint, WeightSet, accuracyVsSize, accuracyVsSparsity, compressionBreakdown, networkGraph,
  sensitivityCurves, sparsityMaps, weightHistograms,
} from './charts';
import { toSvg } from './render';

export interface StageRow extends StagePoint {
  params: number;
  nonzero: number;
}

export interface LayerRow {
  layer: string;
  weights: number;
  kept: number;
  weightBits: number;
  weightBitsHuffman: number;
  indexBits: number;
  indexBitsHuffman: number;
  bytes: { dense: number; pruned: number; quantized: number; huffman: number };
  compression: number;
}

export interface ReportData {
  title: string;
  /** Lines under the title: dataset, architecture, recipe, timings. */
  facts: [string, string][];
  stages?: StageRow[];
  curve?: { sparsity: number; accuracy: number; label: string; phase: string }[];
  baselineAccuracy?: number;
  histograms?: { stage: string; sets: WeightSet[]; nonzeroOnly: boolean }[];
  codebooks?: { layer: string; value: number }[];
  masks?: WeightSet[];
  layers?: LayerRow[];
  sensitivity?: { layer: string; curve: { sparsity: number; accuracy: number }[] }[];
  allocation?: Record<string, number>;
  mdl?: { stage: string; modelBits: number; dataBits: number }[];
  network?: GraphLayer[];
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (x: number, digits = 2) => `${(x * 100).toFixed(digits)}%`;

function table(head: string[], rows: (string | number)[][], caption?: string): string {
  // Numbers (already formatted: 1,234 · 95.2% · 41.9×) are right-aligned.
  const numeric = (v: string | number) => typeof v === 'number' || /^[-+−]?[\d,.]+(%|×)?$/.test(v);
  const cell = (v: string | number, tag: string) => `<${tag}${tag === 'td' && numeric(v) ? ' class="num"' : ''}>${escape(String(v))}</${tag}>`;
  return `<table>${caption ? `<caption>${escape(caption)}</caption>` : ''}<thead><tr>${head.map((h) => cell(h, 'th')).join('')}</tr></thead>`
    + `<tbody>${rows.map((r) => `<tr>${r.map((v) => cell(v, 'td')).join('')}</tr>`).join('')}</tbody></table>`;
}

async function figure(id: string, spec: TopLevelSpec, caption: string): Promise<string> {
  return `<figure class="chart" data-chart="${id}">${await toSvg(spec)}<figcaption>${escape(caption)}</figcaption></figure>`;
}

/** Builds the page; every chart present in `data` becomes a `figure.chart` with its SVG inline. */
export async function renderReport(data: ReportData): Promise<string> {
  const parts: string[] = [];
  const { stages } = data;
  if (stages?.length) {
    const dense = stages[0].bytes;
    parts.push('<h2>Results per stage</h2>', table(
      ['stage', 'test accuracy', 'parameters', 'non-zero', 'bytes', 'compression'],
      stages.map((s) => [s.stage, pct(s.accuracy), int(s.params), int(s.nonzero), int(s.bytes), `${(dense / s.bytes).toFixed(1)}×`]),
    ));
    parts.push(await figure('accuracy-vs-size', accuracyVsSize(stages), 'Each Deep Compression stage: its size and test accuracy.'));
  }
  if (data.curve?.length && data.baselineAccuracy !== undefined) {
    parts.push('<h2>Pruning</h2>', await figure('accuracy-vs-sparsity', accuracyVsSparsity(data.curve, data.baselineAccuracy),
      'Test accuracy measured during pruning (after each pruning step and its fine-tuning); the dashed line is the dense baseline.'));
  }
  if (data.histograms?.length) {
    parts.push('<h2>Weights</h2>', await figure('weight-histograms', weightHistograms(data.histograms, data.codebooks ?? []),
      'Weight values of the prunable layers at each stage, stacked by layer; ticks under the last panel mark the shared (codebook) values.'));
  }
  if (data.masks?.length) {
    parts.push(await figure('sparsity-maps', sparsityMaps(data.masks), 'Each cell shows the fraction of weights kept in that block of the weight matrix (convolution kernels flattened per filter).'));
  }
  if (data.layers?.length) {
    parts.push('<h2>Compression per layer</h2>', table(
      ['layer', 'weights', 'kept', 'weight bits', 'weight bits (Huffman)', 'index bits', 'index bits (Huffman)', 'dense bytes', 'pruned bytes', 'quantized bytes', 'coded bytes', 'compression'],
      data.layers.map((l) => [l.layer, int(l.weights), pct(l.kept, 1), l.weightBits, l.weightBitsHuffman.toFixed(2), l.indexBits, l.indexBitsHuffman.toFixed(2),
        int(l.bytes.dense), int(l.bytes.pruned), int(l.bytes.quantized), int(l.bytes.huffman), `${l.compression.toFixed(1)}×`]),
      'Like Deep Compression\'s Table 2: bits per stored weight and per relative index before and after Huffman coding. Coded bytes are the layer\'s sections as written; the file adds its header and 8 bytes per section.',
    ));
    const rows = data.layers.flatMap((l) => (['dense', 'pruned', 'quantized', 'huffman'] as const).map((stage) => ({ layer: l.layer, stage, bytes: l.bytes[stage] })));
    parts.push(await figure('compression-breakdown', compressionBreakdown(rows), 'Bytes of each layer when stored dense, pruned (CSR, float32), quantized (codebook indices) and Huffman-coded.'));
  }
  if (data.mdl?.length) {
    parts.push('<h2>Minimum description length</h2>', table(
      ['stage', 'model kbit', 'data kbit (test labels given the model)', 'total kbit'],
      data.mdl.map((m) => [m.stage, (m.modelBits / 1000).toFixed(1), (m.dataBits / 1000).toFixed(1), ((m.modelBits + m.dataBits) / 1000).toFixed(1)]),
      'Two-part code length: bits to store the model plus bits to encode the test labels with it (−log₂ p of the true class).',
    ));
  }
  if (data.sensitivity?.length) {
    parts.push('<h2>Sensitivity</h2>', await figure('sensitivity', sensitivityCurves(data.sensitivity.flatMap((s) => s.curve.map((p) => ({ layer: s.layer, ...p })))), 'Each layer pruned alone by magnitude from the sparsity it has, the others as they are.'));
    if (data.allocation) {
      parts.push(table(['layer', 'allocated sparsity'], Object.entries(data.allocation).map(([k, v]) => [k, pct(v, 1)]), 'Per-layer sparsities allocated from the curves.'));
    }
  }
  if (data.network?.length) {
    const graph = networkGraph(data.network);
    parts.push('<h2>The pruned network</h2>', await figure('network', graph.spec,
      `Neurons as dots (grey: no surviving connection), surviving connections as lines${graph.shown < graph.total ? ` (the ${int(graph.shown)} strongest of ${int(graph.total)})` : ''}.`));
  }
  return page(data.title, data.facts, parts.join('\n'));
}

function page(title: string, facts: [string, string][], body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
<style>
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; max-width: 1100px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.15em 1em; } dt { color: #666; } dd { margin: 0; }
table { border-collapse: collapse; margin: 1em 0; font-variant-numeric: tabular-nums; } caption { caption-side: bottom; color: #666; font-size: 0.9em; text-align: left; padding-top: 0.4em; }
th, td { padding: 0.25em 0.7em; border-bottom: 1px solid #eee; text-align: left; } td.num, th.num { text-align: right; }
figure.chart { margin: 1.5em 0; overflow-x: auto; } figcaption { color: #666; font-size: 0.9em; }
</style></head><body>
<h1>${escape(title)}</h1>
<dl>${facts.map(([k, v]) => `<dt>${escape(k)}</dt><dd>${escape(v)}</dd>`).join('')}</dl>
${body}
</body></html>
`;
}
