/**
 * `prunekit train`, `prune` and `compress`: the pipeline's stages on their
 * own, passing safetensors checkpoints (architecture, weights, masks and
 * the recipe that made them) from one to the next.
 */
import { compressionReport } from '../compress/accounting';
import { encodeModel } from '../compress/format';
import { loadModel } from '../compress/model-file';
import { Split } from '../data';
import { loadCheckpoint, serializeCheckpoint } from '../nn/checkpoint';
import { Sequential } from '../nn/sequential';
import { CommonFlags, Stage, assertCheckpointNetwork, recipeFrom, recordable, recordedRecipe } from './options';
import { checkOutputs, dataInputsOf, writeOutputs } from './outputs';
import { buildModel, checkModelReads, checkWidths, datasetFor, methodNote, checkPruneRecipe, fit, pruneModel, quantizeModel } from './pipeline';
import { noteFor, progressFor } from './progress';
import { Recipe } from './recipe';
import { toolVersion, versusFloat32 } from './table';

export interface StageResult {
  accuracy: number;
  loss: number;
  params: number;
  nonzero: number;
  epochs: number;
  samplesPerSecond: number;
  out: string;
}

/** A checkpoint and the recipe recorded in it (flags override it). */
/** What a stage did, on stdout as run's table is (progress and notes go to stderr); --json prints the JSON instead. */
function resultLine(flags: CommonFlags, line: string): void {
  if (!flags.json) process.stdout.write(`${line}\n`);
}

function fromCheckpoint(file: string, flags: CommonFlags, stage: Stage): { model: Sequential; recipe: Recipe } {
  const { model, metadata } = loadCheckpoint(file);
  const recorded = recordedRecipe(metadata, file);
  const recipe = recipeFrom(flags, stage, recorded);
  assertCheckpointNetwork(recipe, recorded, file);
  return { model, recipe };
}

/** Where a command writes, checked after the usage checks and before any work. */
function outputPath(flags: CommonFlags, recipe: Recipe, defaultOut: string, what: string, checkpoint?: string): string {
  const out = flags.out ?? defaultOut;
  checkOutputs([{ file: out, what }], [
    { file: checkpoint, what: 'the checkpoint it reads' }, { file: flags.recipe, what: 'the recipe' }, ...dataInputsOf(recipe.data),
  ]);
  return out;
}

async function saveStage(model: Sequential, split: Split, recipe: Recipe, flags: CommonFlags, stage: string, epochs: number, samplesPerSecond: number, out: string): Promise<StageResult> {
  const evaluation = model.evaluate(split.test);
  const recorded = recordable(recipe);
  const metadata = { stage, dataset: recorded.data, arch: recipe.arch, seed: String(recipe.seed), accuracy: String(evaluation.accuracy), recipe: JSON.stringify(recorded), tool: `prunekit ${toolVersion()}` };
  await writeOutputs([{ file: out, bytes: serializeCheckpoint(model, metadata), what: 'the checkpoint' }]);
  const count = model.parameterCount();
  const result = { accuracy: evaluation.accuracy, loss: evaluation.loss, params: count.total, nonzero: count.nonzero, epochs, samplesPerSecond, out };
  resultLine(flags, `${stage}: test accuracy ${(evaluation.accuracy * 100).toFixed(2)}%, ${count.nonzero.toLocaleString('en-US')} of ${count.total.toLocaleString('en-US')} parameters non-zero; wrote ${out}`);
  return result;
}

export async function trainCommand(flags: CommonFlags): Promise<StageResult> {
  const recipe = recipeFrom(flags, 'train');
  const split = datasetFor(recipe.data);
  const model = buildModel(recipe.arch, split.train, recipe.seed, recipe.init);
  const out = outputPath(flags, recipe, 'baseline.safetensors', 'the checkpoint');
  const { samplesPerSecond } = fit(model, split.train, recipe.train, recipe.seed, progressFor(flags), 'training');
  return saveStage(model, split, recipe, flags, 'trained', recipe.train.epochs, samplesPerSecond, out);
}

export async function pruneCommand(checkpoint: string, flags: CommonFlags): Promise<StageResult> {
  const { model, recipe } = fromCheckpoint(checkpoint, flags, 'prune');
  const split = datasetFor(recipe.data);
  checkModelReads(model, split.test, checkpoint);
  checkPruneRecipe(model, recipe.prune);
  // A pruned checkpoint may replace the one it was read from (read whole, written atomically).
  const out = outputPath(flags, recipe, 'pruned.safetensors', 'the checkpoint');
  const methodLine = methodNote(recipe.prune);
  if (methodLine) noteFor(flags)(methodLine);
  const started = process.hrtime.bigint();
  pruneModel(model, split.train, recipe.prune, recipe.seed, progressFor(flags), (label, phase) => ({ sparsity: 0, accuracy: 0, label, phase }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return saveStage(model, split, recipe, flags, 'pruned', recipe.prune.epochs, (recipe.prune.epochs * split.train.y.length) / seconds, out);
}

export interface CompressResult {
  accuracy: number;
  params: number;
  nonzero: number;
  fileBytes: number;
  compression: number;
  out: string;
}

export async function compressCommand(checkpoint: string, flags: CommonFlags): Promise<CompressResult> {
  const { model, recipe } = fromCheckpoint(checkpoint, flags, 'quantize');
  const split = datasetFor(recipe.data);
  checkModelReads(model, split.test, checkpoint);
  checkWidths(model, recipe.quantize);
  const out = outputPath(flags, recipe, 'model.prk', 'the model file', checkpoint);
  quantizeModel(model, split.train, recipe.quantize, recipe.seed, recipe.prune.batchSize, progressFor(flags), recipe.prune.exclude);
  const encoded = encodeModel(model, {
    indexBits: recipe.quantize.indexBits,
    metadata: { dataset: recordable(recipe).data, arch: recipe.arch, seed: recipe.seed, tool: `prunekit ${toolVersion()}`, recipe: recordable(recipe) },
  });
  const loaded = loadModel(encoded.bytes);
  await writeOutputs([{ file: out, bytes: encoded.bytes, what: 'the model file' }]);
  const report = compressionReport(encoded.layout, encoded.bytes.length, encoded.headerBytes);
  const count = loaded.model.parameterCount();
  const accuracy = loaded.evaluate(split.test).accuracy;
  resultLine(flags, `compressed: test accuracy ${(accuracy * 100).toFixed(2)}%, ${encoded.bytes.length.toLocaleString('en-US')} bytes (${versusFloat32(report.ratio.file)} float32); wrote ${out}`);
  return { accuracy, params: count.total, nonzero: count.nonzero, fileBytes: encoded.bytes.length, compression: report.ratio.file, out };
}
