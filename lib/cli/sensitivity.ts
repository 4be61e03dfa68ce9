/**
 * `prunekit sensitivity`: prune one layer at a time to increasing
 * sparsities and measure the accuracy on a validation split (10% of the
 * training data, never the test split, since the allocation it picks is a
 * hyperparameter), then allocate
 * per-layer sparsities that meet an overall budget, pruning the sensitive
 * layers least. The allocation prints as a recipe fragment.
 */
import { holdOut } from '../data/dataset';
import { DataError } from '../errors';
import { loadCheckpoint } from '../nn/checkpoint';
import { LayerSensitivity, allocateSparsity, sensitivity } from '../prune/sensitivity';
import { CommonFlags, assertCheckpointNetwork, recipeFrom, recordedRecipe } from './options';
import { checkOutputs, dataInputsOf, loadReport, writeOutputs } from './outputs';
import { buildModel, checkModelReads, datasetFor, checkPruneRecipe, fit } from './pipeline';
import { noteFor, progressFor } from './progress';
import { Recipe } from './recipe';
import { formatTable } from './table';

const VALIDATION_FRACTION = 0.1;

export interface SensitivityResult {
  layers: LayerSensitivity[];
  allocation: Record<string, number>;
  sparsity: number;
  report: string | null;
}

export async function sensitivityCommand(checkpoint: string | undefined, flags: CommonFlags): Promise<SensitivityResult> {
  let recorded: Partial<Recipe> = {};
  let model;
  if (checkpoint) {
    const loaded = loadCheckpoint(checkpoint);
    model = loaded.model;
    recorded = recordedRecipe(loaded.metadata, checkpoint);
  }
  const recipe = recipeFrom(flags, 'train', recorded);
  if (checkpoint) assertCheckpointNetwork(recipe, recorded, checkpoint);
  const report = flags.report || null;
  const split = datasetFor(recipe.data);
  const { train, validation } = holdOut(split.train, VALIDATION_FRACTION, recipe.seed);
  if (validation.y.length === 0) {
    throw new DataError(`${split.train.name}: ${split.train.y.length} samples leave the ${VALIDATION_FRACTION * 100}% validation split empty; add samples`);
  }
  const trained = model !== undefined;
  if (model) checkModelReads(model, validation, checkpoint!);
  else model = buildModel(recipe.arch, train, recipe.seed, recipe.init);
  checkPruneRecipe(model, recipe.prune);
  if (report) {
    checkOutputs([{ file: report, what: 'the report' }], [
      { file: checkpoint, what: 'the checkpoint it reads' }, { file: flags.recipe, what: 'the recipe' }, ...dataInputsOf(recipe.data),
    ]);
  }
  if (!trained) fit(model, train, recipe.train, recipe.seed, progressFor(flags), 'baseline training');
  else noteFor(flags)(`sensitivity: measured on ${validation.y.length} samples held out of ${split.train.name}; ${checkpoint} may have trained on them, which reads high`);
  const layers = sensitivity(model, validation, { exclude: recipe.prune.exclude });
  const allocation = allocateSparsity(layers, { sparsity: recipe.prune.sparsity });
  if (report) {
    const html = await (await loadReport()).renderReport({
      title: `prunekit sensitivity: ${recipe.arch} on ${recipe.data}`,
      facts: [['data', `validation split: ${validation.y.length} samples held out of ${split.train.name} (${split.train.y.length})${trained ? ', which the checkpoint may have trained on' : ''}`], ['network', recipe.arch], ['budget', `${(recipe.prune.sparsity * 100).toFixed(1)}% overall sparsity`]],
      sensitivity: layers, allocation,
    });
    await writeOutputs([{ file: report, bytes: html, what: 'the report' }]);
  }
  if (!flags.json) {
    // A layer of a pruned checkpoint starts at its own sparsity, so the columns are every layer's levels.
    const levels = [...new Set(layers.flatMap((l) => l.curve.map((p) => p.sparsity)))].sort((a, b) => a - b);
    const cell = (l: LayerSensitivity, s: number) => {
      const point = l.curve.find((p) => p.sparsity === s);
      return point ? (point.accuracy * 100).toFixed(1) : '';
    };
    process.stdout.write(formatTable(
      ['layer', 'weights', ...levels.map((s) => `${+(s * 100).toFixed(1)}%`), 'allocated'],
      layers.map((l) => [l.layer, l.size.toLocaleString('en-US'), ...levels.map((s) => cell(l, s)), `${((allocation[l.layer] ?? 0) * 100).toFixed(1)}%`]),
    ));
    process.stdout.write(`\nrecipe fragment (prune.layers) for ${(recipe.prune.sparsity * 100).toFixed(1)}% overall:\n${JSON.stringify({ prune: { layers: allocation } })}\n`);
  }
  return { layers, allocation, sparsity: recipe.prune.sparsity, report };
}
