/**
 * The options every pipeline command shares, and how they turn into a
 * recipe: defaults ← --recipe file ← flags.
 */
import path from 'path';
import { Command, Option } from 'commander';
import { ARCHITECTURES, METHODS } from './pipeline';
import { CorruptModelError } from '../errors';
import { BitsSetting, DEFAULT_RECIPE, Recipe, UsageError, checkRecipe, defaultsFor, loadRecipe, mergeRecipe } from './recipe';

export interface CommonFlags {
  data?: string;
  arch?: string;
  method?: string;
  sparsity?: string;
  schedule?: string;
  bits?: string;
  epochs?: string;
  lr?: string;
  seed?: string;
  out?: string;
  /** false with --no-report. */
  report?: string | false;
  recipe?: string;
  json?: boolean;
  quiet?: boolean;
}

export type Flag = 'data' | 'arch' | 'method' | 'sparsity' | 'schedule' | 'bits' | 'epochs' | 'lr' | 'seed' | 'out' | 'report' | 'recipe';

/** The defaults as --help gives them (the recipe's, LeNet-5's where they differ); those of --data and --out depend on the command. */
const DESCRIPTIONS: Record<Exclude<Flag, 'out'>, [string, string]> = {
  data: ['--data <spec>', 'dataset: mnist (embedded: 7,996 training / 2,004 test), fashion, idx:DIR or csv:FILE'],
  arch: ['--arch <name>', `architecture: ${ARCHITECTURES.join(', ')} (default: lenet-300-100)`],
  method: ['--method <name>', `pruning method: ${METHODS.join(', ')} (default: magnitude)`],
  sparsity: ['--sparsity <fraction>', 'overall fraction of weights to remove (default: 0.93)'],
  schedule: ['--schedule <name>', 'gradual (Zhu & Gupta), iterative (Han et al. rounds) or one-shot (default: iterative; lenet-5: gradual)'],
  bits: ['--bits <bits>', 'weight-sharing bits: a number, or per layer as conv1=8,fc1=5,default=5 (default: conv 8, dense 5)'],
  epochs: ['--epochs <n>', 'epochs of this command\'s training stage (default: baseline 15, pruning 30, centroids 3; lenet-5: 10, 20, 2)'],
  lr: ['--lr <rate>', 'learning rate of this command\'s training stage (default: baseline 0.1, pruning 0.1, centroids 0.0001; lenet-5: 0.01, 0.02, 0.0001)'],
  seed: ['--seed <n>', 'random seed; same seed, machine and threads: identical results (default: 1)'],
  report: ['--report <file.html>', 'write the HTML report here'],
  recipe: ['--recipe <file>', 'JSON or YAML recipe setting every stage (docs/RECIPES.md)'],
};

/** Adds the flags (and --json, --quiet), saying the command's own defaults for --data and --out. */
export function addOptions(command: Command, flags: Flag[], defaults: { data: string; out?: string }): Command {
  for (const flag of flags) {
    if (flag === 'out') command.addOption(new Option('--out <file>', `output file (default: ${defaults.out})`));
    else if (flag === 'data') command.addOption(new Option(DESCRIPTIONS.data[0], `${DESCRIPTIONS.data[1]} (default: ${defaults.data})`));
    else command.addOption(new Option(...DESCRIPTIONS[flag]));
  }
  return command.option('--json', 'print one JSON object on stdout (no progress)').option('--quiet', 'no progress output');
}

function number(flag: string, text: string, min: number, max: number, integer = false, minExclusive = false): number {
  // Decimal only: Number() would also read '0x10' as 16 and '1e3' as an integer.
  const decimal = integer ? /^\s*\d+\s*$/ : /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;
  const value = Number(text);
  const low = minExclusive ? value <= min : value < min;
  if (!decimal.test(text) || !Number.isFinite(value) || low || value > max || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${flag} ${text}: expected ${integer ? 'an integer' : 'a number'} in ${minExclusive ? '(' : '['}${min}, ${max}]`);
  }
  return value;
}

export function parseBits(text: string): BitsSetting {
  if (/^\d+$/.test(text)) return number('bits', text, 1, 12, true);
  const entries = text.split(',').map((part) => {
    const m = /^([\w.-]+)=(\d+)$/.exec(part.trim());
    if (!m) throw new UsageError(`--bits ${text}: expected a number or layer=bits pairs such as conv1=8,default=5`);
    return [m[1], number('bits', m[2], 1, 12, true)] as const;
  });
  const names = entries.map(([name]) => name);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice !== undefined) throw new UsageError(`--bits ${text}: ${twice} is given twice`);
  return Object.fromEntries(entries);
}

/** Which stage --epochs and --lr apply to. */
export type Stage = 'train' | 'prune' | 'quantize';

export function recipeFrom(flags: CommonFlags, stage: Stage, base: Partial<Recipe> = {}): Recipe {
  const file = flags.recipe ? loadRecipe(flags.recipe) : {};
  const arch = flags.arch ?? file.arch ?? base.arch ?? DEFAULT_RECIPE.arch;
  const recipe = mergeRecipe(mergeRecipe(defaultsFor(arch), base), file);
  const patch: Record<string, Record<string, unknown>> = { train: {}, prune: {}, quantize: {} };
  const top: Record<string, unknown> = {};
  if (flags.data !== undefined) top.data = flags.data;
  if (flags.arch !== undefined) top.arch = flags.arch;
  if (flags.seed !== undefined) top.seed = number('seed', flags.seed, 0, 2 ** 31 - 1, true);
  if (flags.method !== undefined) patch.prune.method = flags.method;
  if (flags.sparsity !== undefined) patch.prune.sparsity = number('sparsity', flags.sparsity, 0, 0.999);
  if (flags.schedule !== undefined) {
    if (!['gradual', 'iterative', 'one-shot'].includes(flags.schedule)) throw new UsageError(`--schedule ${flags.schedule}: expected gradual, iterative or one-shot`);
    patch.prune.schedule = flags.schedule;
  }
  if (flags.bits !== undefined) patch.quantize.bits = parseBits(flags.bits);
  if (flags.epochs !== undefined) patch[stage].epochs = number('epochs', flags.epochs, 0, 10000, true);
  if (flags.lr !== undefined) patch[stage].lr = number('lr', flags.lr, 0, 10, false, true);
  return mergeRecipe(recipe, { ...top, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => Object.keys(v).length)) });
}

/** The network is the checkpoint's: a recipe or flag naming another would label it wrongly and bring that network's settings. */
export function assertCheckpointNetwork(recipe: Recipe, recorded: Partial<Recipe>, file: string): void {
  if (recorded.arch !== undefined && recipe.arch !== recorded.arch) {
    throw new UsageError(`arch: the recipe names ${recipe.arch}, but ${file} holds a ${recorded.arch} network`);
  }
}

/**
 * The recipe as checkpoints and model files record it: a file or directory
 * dataset's path made absolute, since the next command may run elsewhere.
 */
export function recordable(recipe: Recipe): Recipe {
  const m = /^(csv|idx):(.+)$/s.exec(recipe.data);
  return m && !path.isAbsolute(m[2]) ? { ...recipe, data: `${m[1]}:${path.resolve(m[2])}` } : recipe;
}

/**
 * The recipe a checkpoint recorded, checked like a recipe file; without
 * one, the data and network its metadata names.
 */
export function recordedRecipe(metadata: Record<string, string>, file: string): Partial<Recipe> {
  if (metadata.recipe === undefined) {
    return { ...(metadata.dataset ? { data: metadata.dataset } : {}), ...(metadata.arch ? { arch: metadata.arch } : {}) };
  }
  try {
    return checkRecipe(JSON.parse(metadata.recipe));
  } catch (error) {
    throw new CorruptModelError(`${file}: the recipe recorded in the checkpoint is unusable (${(error as Error).message})`);
  }
}
