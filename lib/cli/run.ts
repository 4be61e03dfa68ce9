/**
 * `prunekit run`: baseline → pruning with fine-tuning → weight sharing with
 * centroid fine-tuning → Huffman → the model file and the HTML report.
 */
import path from 'path';
import { compressionReport } from '../compress/accounting';
import { encodeModel } from '../compress/format';
import { loadModel } from '../compress/model-file';
import { Dataset, Split } from '../data';
import { Dense } from '../nn/dense';
import { Sequential } from '../nn/sequential';
import { descriptionLength } from '../prune/stats';
import { selectTargets, sparsityOf } from '../prune/targets';
import type { ReportData, StageRow } from '../report';
import { CommonFlags, recipeFrom, recordable } from './options';
import { checkOutputs, dataInputsOf, loadReport, writeOutputs } from './outputs';
import { CurvePoint, appliedScope, buildModel, datasetFor, methodNote, checkPruneRecipe, checkWidths, fit, pruneModel, quantizeModel, weightSnapshot } from './pipeline';
import { progressFor, noteFor } from './progress';
import { BitsSetting, Recipe } from './recipe';
import { formatTable, toolVersion, versusFloat32 } from './table';

export interface RunResult {
  dataset: string;
  arch: string;
  seed: number;
  stages: { stage: string; accuracy: number; params: number; nonzero: number; bytes: number }[];
  file: string;
  fileBytes: number;
  compression: number;
  report: string | null;
}

/** Networks this small are drawn as a graph in the report. */
const MAX_GRAPH_NEURONS = 1500;

export async function runCommand(flags: CommonFlags): Promise<RunResult> {
  const recipe = recipeFrom(flags, 'train');
  const progress = progressFor(flags);
  const note = noteFor(flags);
  const started = Date.now();
  const split = datasetFor(recipe.data);
  const model = buildModel(recipe.arch, split.train, recipe.seed, recipe.init);
  checkPruneRecipe(model, recipe.prune);
  const methodLine = methodNote(recipe.prune);
  checkWidths(model, recipe.quantize);
  // Before the work, after the usage checks (exit 1 comes before exit 2).
  const file = flags.out ?? 'model.prk';
  const reportFile = flags.report === false ? null : (flags.report ?? 'report.html');
  checkOutputs([{ file, what: 'the model file' }, ...(reportFile ? [{ file: reportFile, what: 'the report' }] : [])],
    [{ file: flags.recipe, what: 'the recipe' }, ...dataInputsOf(recipe.data)]);
  if (methodLine) note(methodLine);
  note(`prunekit run: ${recipe.arch} on ${recipe.data} (${split.train.y.length} training, ${split.test.y.length} test samples), seed ${recipe.seed}`);
  const test = (m: { evaluate(d: Dataset): { accuracy: number } }) => m.evaluate(split.test).accuracy;
  const exclude = recipe.prune.exclude;
  const prunable = () => selectTargets(model, { exclude });

  fit(model, split.train, recipe.train, recipe.seed, progress, 'baseline training');
  const baseline = { accuracy: test(model), count: model.parameterCount(), weights: weightSnapshot(model), dataBits: dataBits(model, split) };

  const curve: CurvePoint[] = [{ sparsity: 0, accuracy: baseline.accuracy, label: 'baseline', phase: 'baseline' }];
  curve.push(...pruneModel(model, split.train, recipe.prune, recipe.seed, progress, (label, phase) => ({ sparsity: sparsityOf(prunable()), accuracy: test(model), label, phase })));
  const pruned = { accuracy: test(model), count: model.parameterCount(), weights: weightSnapshot(model), dataBits: dataBits(model, split) };

  const shared = quantizeModel(model, split.train, recipe.quantize, recipe.seed, recipe.prune.batchSize, progress, exclude);
  const quantized = { accuracy: test(model), count: model.parameterCount(), weights: weightSnapshot(model) };

  const accuracy = { baseline: baseline.accuracy, pruned: pruned.accuracy, quantized: quantized.accuracy };
  const encoded = encodeModel(model, {
    indexBits: recipe.quantize.indexBits,
    metadata: { dataset: recordable(recipe).data, arch: recipe.arch, seed: recipe.seed, accuracy, tool: `prunekit ${toolVersion()}`, recipe: recordable(recipe) },
  });
  const loaded = loadModel(encoded.bytes);
  const final = { accuracy: test(loaded), count: loaded.model.parameterCount(), dataBits: dataBits(loaded.model, split) };
  const compression = compressionReport(encoded.layout, encoded.bytes.length, encoded.headerBytes);
  const { total } = compression;
  const stages = [
    { stage: 'baseline', accuracy: baseline.accuracy, params: baseline.count.total, nonzero: baseline.count.nonzero, bytes: total.dense },
    { stage: 'pruned', accuracy: pruned.accuracy, params: pruned.count.total, nonzero: pruned.count.nonzero, bytes: total.pruned },
    { stage: 'quantized', accuracy: quantized.accuracy, params: quantized.count.total, nonzero: quantized.count.nonzero, bytes: total.quantized },
    { stage: 'huffman', accuracy: final.accuracy, params: final.count.total, nonzero: final.count.nonzero, bytes: encoded.bytes.length },
  ];
  const result: RunResult = {
    dataset: recipe.data, arch: recipe.arch, seed: recipe.seed, stages, file, fileBytes: encoded.bytes.length,
    compression: total.dense / encoded.bytes.length, report: reportFile,
  };

  const outputs: { file: string; bytes: Uint8Array | string; what: string }[] = [{ file, bytes: encoded.bytes, what: 'the model file' }];
  if (result.report) {
    const codebooks = shared.tensors.flatMap((t) => Array.from(t.codebook.value.data, (value) => ({ layer: t.layer, value })));
    const report: ReportData = {
      title: `prunekit run: ${recipe.arch} on ${recipe.data}`,
      facts: facts(recipe, split, result, (Date.now() - started) / 1000),
      stages: stages as StageRow[],
      curve, baselineAccuracy: baseline.accuracy,
      histograms: [
        { stage: 'trained (dense)', sets: baseline.weights, nonzeroOnly: false },
        { stage: 'pruned and fine-tuned (non-zero weights)', sets: pruned.weights, nonzeroOnly: true },
        { stage: 'quantized and centroid-tuned (non-zero weights)', sets: quantized.weights, nonzeroOnly: true },
      ],
      codebooks,
      masks: quantized.weights,
      layers: compression.layers,
      mdl: [
        { stage: 'baseline (float32)', modelBits: total.dense * 8, dataBits: baseline.dataBits },
        { stage: 'pruned (CSR float32)', modelBits: total.pruned * 8, dataBits: pruned.dataBits },
        { stage: 'model file', modelBits: encoded.bytes.length * 8, dataBits: final.dataBits },
      ],
      network: graphLayers(loaded.model),
    };
    outputs.push({ file: result.report, bytes: await (await loadReport()).renderReport(report), what: 'the report' });
  }
  await writeOutputs(outputs);
  if (!flags.json) {
    note('');
    process.stdout.write(formatTable(
      ['stage', 'test accuracy', 'non-zero', 'bytes', 'compression'],
      stages.map((s) => [s.stage, `${(s.accuracy * 100).toFixed(2)}%`, s.nonzero.toLocaleString('en-US'), s.bytes.toLocaleString('en-US'), `${(total.dense / s.bytes).toFixed(1)}×`]),
    ));
    process.stdout.write(`\nwrote ${file} (${result.fileBytes.toLocaleString('en-US')} bytes, ${versusFloat32(result.compression)} float32)${result.report ? ` and ${result.report}` : ''} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
  return result;
}

function dataBits(model: Sequential, split: Split): number {
  return descriptionLength(model, split.test, { modelBits: 0 }).dataBits;
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** Bit widths as a reader writes them: 5, or conv1 8, default 5 (unset: the defaults, conv 8 and dense 5). */
const widths = (bits: BitsSetting | undefined) =>
  bits === undefined ? 'conv 8, dense 5' : typeof bits === 'number' ? String(bits) : Object.entries(bits).map(([k, v]) => `${k} ${v}`).join(', ');

function facts(recipe: Recipe, split: Split, result: RunResult, seconds: number): [string, string][] {
  const p = recipe.prune, q = recipe.quantize;
  return [
    ['data', `${split.train.name}: ${split.train.y.length.toLocaleString('en-US')} training and ${split.test.y.length.toLocaleString('en-US')} test samples (accuracies are on the test split)`],
    ['network', recipe.arch],
    ['baseline', `${count(recipe.train.epochs, 'epoch')} of SGD (lr ${recipe.train.lr}, momentum ${recipe.train.momentum}, cosine), batch ${recipe.train.batchSize}`],
    ['pruning', `${p.method}, ${appliedScope(p)}, ${p.schedule} to ${(p.sparsity * 100).toFixed(1)}% sparsity over ${count(p.epochs, 'epoch')} (lr ${p.lr}, weight decay ${p.weightDecay})`],
    ['weight sharing', `k-means (${q.init} init), bits ${widths(q.bits)}, index bits ${widths(q.indexBits)}, ${count(q.epochs, 'epoch')} of centroid fine-tuning`],
    ['model file', `${path.basename(result.file)}: ${result.fileBytes.toLocaleString('en-US')} bytes, ${versusFloat32(result.compression)} the float32 model`],
    ['seed and time', `seed ${recipe.seed}; ${seconds.toFixed(1)} s on this machine; prunekit ${toolVersion()}`],
  ];
}

function graphLayers(model: Sequential): { name: string; shape: readonly number[]; values: Float32Array }[] | undefined {
  const dense = model.layers.filter((l): l is Dense => l instanceof Dense);
  if (dense.length !== model.layers.filter((l) => l.parameters().length > 0).length) return undefined;
  const neurons = dense.reduce((n, l) => n + l.weight.shape[0], dense[0]?.weight.shape[1] ?? 0);
  if (dense.length === 0 || neurons > MAX_GRAPH_NEURONS) return undefined;
  return dense.map((l) => ({ name: l.name, shape: l.weight.shape, values: l.weight.value.data }));
}
