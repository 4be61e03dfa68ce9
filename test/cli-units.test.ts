/**
 * The CLI's pieces in-process: recipes (defaults, merging, flags, errors),
 * the report's data summaries against hand-worked examples, and SVG
 * rendering of a spec.
 */
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import path from 'path';
import { networkGraph, sparsityGrid, toSvg } from '../lib/report';
import { parseBits, recipeFrom } from '../lib/cli/options';
import { DEFAULT_RECIPE, UsageError, loadRecipe, mergeRecipe } from '../lib/cli/recipe';
import { exitCodeFor } from '../lib/cli/main';
import { CorruptModelError, DataError, ArgumentRangeError, Dense, Tensor, gaussianBlobs } from '../lib';
import { buildModel, fit, methodNote } from '../lib/cli/pipeline';
import { progressFor } from '../lib/cli/progress';

const dir = mkdtempSync(path.join(tmpdir(), 'prunekit-units-'));

describe('recipes', () => {
  it('merges a partial recipe over the defaults, section by section', () => {
    const r = mergeRecipe(DEFAULT_RECIPE, { arch: 'lenet-5', prune: { sparsity: 0.8, layers: { fc2: 0.5 } } });
    expect(r.arch).toBe('lenet-5');
    expect(r.prune).toEqual({ ...DEFAULT_RECIPE.prune, sparsity: 0.8, layers: { fc2: 0.5 } });
    expect(r.train).toEqual(DEFAULT_RECIPE.train);
    expect(DEFAULT_RECIPE.prune.layers).toEqual({}); // the defaults are not mutated
  });

  it('reads YAML and JSON the same way, and flags override the file', () => {
    writeFileSync(path.join(dir, 'r.yaml'), 'seed: 7\nquantize:\n  bits: { conv1: 8, default: 4 }\nprune: { method: "nm:2:4" }\n');
    writeFileSync(path.join(dir, 'r.json'), JSON.stringify({ seed: 7, quantize: { bits: { conv1: 8, default: 4 } }, prune: { method: 'nm:2:4' } }));
    expect(loadRecipe(path.join(dir, 'r.yaml'))).toEqual(loadRecipe(path.join(dir, 'r.json')));
    const r = recipeFrom({ recipe: path.join(dir, 'r.yaml'), sparsity: '0.5', epochs: '3', bits: '6' }, 'prune');
    expect(r).toMatchObject({ seed: 7, prune: { method: 'nm:2:4', sparsity: 0.5, epochs: 3 }, quantize: { bits: 6 } });
    expect(r.train.epochs).toBe(DEFAULT_RECIPE.train.epochs); // --epochs applies to the command's stage
  });

  it('says how a method reads the recipe where it differs from the others', () => {
    const prune = DEFAULT_RECIPE.prune;
    expect(methodNote({ ...prune, method: 'nm:2:4' })).toBe('nm:2:4 keeps 2 of every 4 weights: 50.0% sparsity; prune.sparsity (0.93) does not apply');
    expect(methodNote(prune)).toBeNull();
    expect(methodNote({ ...prune, method: 'structured', scope: 'layer' })).toBe('structured removes whole neurons or filters: each hidden layer loses 93% of them, and so of its weights; the output layer keeps its classes');
    expect(methodNote({ ...prune, method: 'group-lasso' })).toBe('group-lasso removes whole neurons or filters: each hidden layer loses 93% of them, and so of its weights; the output layer keeps its classes; prune.scope (global) does not apply; prune.schedule (iterative) does not apply');
    expect(methodNote({ ...prune, method: 'l1' })).toBe('l1 trains with the penalty, then cuts; prune.schedule (iterative) does not apply');
    expect(methodNote({ ...prune, method: 'rigl', schedule: 'gradual' })).toBe('rigl moves connections while it trains; prune.schedule (gradual) does not apply');
    expect(methodNote({ ...prune, method: 'set', epochs: 0 })).toBeNull(); // no fine-tuning: pruned straight to the target, as every method
  });

  it('parses --bits as a number or layer=bits pairs', () => {
    expect(parseBits('5')).toBe(5);
    expect(parseBits('conv1=8,conv2=8,default=5')).toEqual({ conv1: 8, conv2: 8, default: 5 });
    expect(() => parseBits('conv1:8')).toThrow(UsageError);
    expect(() => parseBits('13')).toThrow(/expected an integer in \[1, 12\]/);
    expect(() => parseBits('fc1=5,fc1=6')).toThrow('--bits fc1=5,fc1=6: fc1 is given twice');
  });

  it('rejects what it does not understand, naming the field', () => {
    expect(() => mergeRecipe(DEFAULT_RECIPE, { prune: { sparsity: -0.1 } })).toThrow(/prune\.sparsity: expected a number in \[0, 0\.999\], got -0\.1/);
    expect(() => mergeRecipe(DEFAULT_RECIPE, { quantize: { bits: { fc1: 2.5 } } })).toThrow(/quantize\.bits\.fc1: expected an integer/);
    expect(() => mergeRecipe(DEFAULT_RECIPE, { colour: 'blue' })).toThrow(/colour: unknown recipe field/);
    expect(() => mergeRecipe(DEFAULT_RECIPE, [1, 2])).toThrow(/expected a mapping/);
    writeFileSync(path.join(dir, 'dup.yaml'), 'seed: 1\nseed: 2\n');
    expect(() => loadRecipe(path.join(dir, 'dup.yaml'))).toThrow(/dup\.yaml is not valid YAML/);
    writeFileSync(path.join(dir, 'dup.json'), '{"train": {"epochs": 1, "epochs": 2}}');
    expect(() => loadRecipe(path.join(dir, 'dup.json'))).toThrow(/dup\.json is not valid JSON: Map keys must be unique/);
    writeFileSync(path.join(dir, 'bad.json'), '{"seed": 1,}');
    expect(() => loadRecipe(path.join(dir, 'bad.json'))).toThrow(/bad\.json is not valid JSON/);
    // The file format's limit, checked with the recipe, not after the training it would waste.
    expect(() => mergeRecipe(DEFAULT_RECIPE, { quantize: { indexBits: 13 } })).toThrow(/quantize\.indexBits: expected an integer in \[1, 12\], got 13/);
    // a YAML alias that contains itself cannot be shown as JSON: still a usage error, not an internal one
    writeFileSync(path.join(dir, 'cycle.yaml'), 'seed: &a [*a]\n');
    expect(() => mergeRecipe(DEFAULT_RECIPE, loadRecipe(path.join(dir, 'cycle.yaml')))).toThrow(/seed: expected .*, got an array of length 1/);
    expect(() => mergeRecipe(DEFAULT_RECIPE, { train: { epochs: 1e400 } })).toThrow(/train\.epochs: expected .*, got Infinity/);
  });

  it('reads integer flags as decimal digits only', () => {
    expect(() => recipeFrom({ seed: '0x10' }, 'train')).toThrow(/--seed 0x10: expected an integer/);
    expect(() => recipeFrom({ seed: '1e3' }, 'train')).toThrow(/--seed 1e3: expected an integer/);
    expect(recipeFrom({ seed: ' 16 ' }, 'train').seed).toBe(16);
    expect(recipeFrom({ sparsity: '5e-1' }, 'prune').prune.sparsity).toBe(0.5);
  });

  it('maps errors to exit codes: usage 1, data and model 2, ours 70', () => {
    expect(exitCodeFor(new UsageError('x')).code).toBe(1);
    expect(exitCodeFor(new ArgumentRangeError('x')).code).toBe(1);
    expect(exitCodeFor(new DataError('x')).code).toBe(2);
    expect(exitCodeFor(new CorruptModelError('x')).code).toBe(2);
    expect(exitCodeFor(new TypeError('x'))).toEqual({ code: 70, usersMistake: false });
  });
});

describe('report summaries', () => {
  it('sparsityGrid gives the kept fraction per block (hand-worked 4×6 example)', () => {
    // Rows 0-1 × cols 0-2 keep 3 of 6; rows 0-1 × cols 3-5 keep 6 of 6; rows 2-3 keep nothing.
    const values = Float32Array.from([1, 0, 1, 1, 1, 1, 0, 1, 0, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(sparsityGrid({ name: 'w', shape: [4, 6], values }, 2)).toEqual([
      { row: 0, col: 0, kept: 0.5 }, { row: 0, col: 3, kept: 1 }, { row: 2, col: 0, kept: 0 }, { row: 2, col: 3, kept: 0 },
    ]);
  });

  it('networkGraph keeps the strongest surviving connections and marks disconnected neurons', () => {
    // 3 inputs → 2 hidden → 1 output; input 2 and hidden 1 have no connection left.
    const layers = [
      { name: 'fc1', shape: [2, 3], values: Float32Array.from([0.5, -2, 0, 0, 0, 0]) },
      { name: 'fc2', shape: [1, 2], values: Float32Array.from([1, 0]) },
    ];
    const all = networkGraph(layers);
    expect(all).toMatchObject({ shown: 3, total: 3 });
    const top = networkGraph(layers, 2);
    expect(top).toMatchObject({ shown: 2, total: 3 });
    const layer = (top.spec as { layer: { data: { values: Record<string, unknown>[] } }[] }).layer;
    expect(layer[0].data.values.map((e) => e.w)).toEqual([-2, 1]);
    expect(layer[1].data.values.map((n) => n.alive)).toEqual(['connected', 'connected', 'disconnected', 'connected', 'disconnected', 'connected']);
  });

  it('renders a Vega-Lite spec to standalone SVG', async () => {
    const svg = await toSvg({ data: { values: [{ a: 1, b: 2 }, { a: 2, b: 4 }] }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative' }, y: { field: 'b', type: 'quantitative' } } });
    expect(svg).toMatch(/^<svg[^>]+xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg.match(/class="mark-symbol role-mark/g)).toHaveLength(1);
    expect(svg).not.toContain('NaN');
  });
});

describe('the documented recipes', () => {
  it.each(['lenet-300-100.yaml', 'lenet-5.yaml'])('docs/recipes/%s is valid', (name) => {
    const recipe = mergeRecipe(DEFAULT_RECIPE, loadRecipe(path.join(__dirname, '..', 'docs', 'recipes', name)));
    expect(recipe.prune.sparsity).toBe(0.93);
  });

  it('docs/recipes/lenet-300-100.yaml is exactly the defaults', () => {
    const spelled = mergeRecipe(DEFAULT_RECIPE, loadRecipe(path.join(__dirname, '..', 'docs', 'recipes', 'lenet-300-100.yaml')));
    expect(spelled).toEqual({ ...DEFAULT_RECIPE, quantize: { ...DEFAULT_RECIPE.quantize, bits: 5, indexBits: 5 } });
  });
});

describe('recipe initializers', () => {
  it('builds with a data-dependent init by name (lsuv, data) and refuses unknown names listing the known ones', () => {
    const data = gaussianBlobs({ samples: 600, features: 12, classes: 3, seed: 2 });
    for (const init of ['lsuv', 'data']) {
      const model = buildModel('mlp:12-32-3', data, 1, init);
      const fc1 = model.layers[0] as Dense;
      const out = fc1.forward(new Tensor(data.x.data.slice(0, 512 * 12), [512, 12]), 'eval');
      let sum = 0, sq = 0;
      out.data.forEach((v) => { sum += v; sq += v * v; });
      expect(Math.abs(sq / out.size - (sum / out.size) ** 2 - 1)).toBeLessThan(0.1); // unit variance on the first 512 samples
    }
    expect(() => buildModel('mlp:12-32-3', data, 1, 'lsvu')).toThrow("init: unknown initializer 'lsvu' (use he, xavier, lecun, orthogonal, zeros, lsuv, data)");
  });

  it('train.shift augments image data and is a usage error on samples that are not images', () => {
    const blobs = gaussianBlobs({ samples: 64, features: 16, classes: 2, seed: 1 });
    const recipe = { ...DEFAULT_RECIPE.train, epochs: 1, batchSize: 16, shift: 1 };
    const quiet = progressFor({ quiet: true });
    expect(() => fit(buildModel('mlp:16-4-2', blobs, 1), blobs, recipe, 1, quiet, 'training')).toThrow(UsageError);
    expect(() => fit(buildModel('mlp:16-4-2', blobs, 1), blobs, recipe, 1, quiet, 'training')).toThrow(/shift 1 needs images .* shape \[16\]/);
    const images = { ...blobs, sampleShape: [4, 4] };
    const shifted = buildModel('mlp:16-4-2', images, 1), plain = buildModel('mlp:16-4-2', images, 1);
    fit(shifted, images, recipe, 1, quiet, 'training');
    fit(plain, images, { ...recipe, shift: 0 }, 1, quiet, 'training');
    expect(Array.from(shifted.parameters()[0].value.data)).not.toEqual(Array.from(plain.parameters()[0].value.data));
  });
});
