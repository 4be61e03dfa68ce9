/**
 * End-to-end tests of the prunekit command line (the compiled dist/, as
 * users run it): the --json contracts, eval/info on the file run wrote,
 * the stage commands chained through checkpoints, recipes, exit codes and
 * Ctrl-C. Small recipes keep each run to seconds.
 */
import { spawn, spawnSync } from 'child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, truncateSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import path from 'path';
import { gzipSync } from 'zlib';
import { holdOut, loadCheckpoint, loadMnist } from '../lib';
import { rng } from './helpers';

const CLI = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
const dir = mkdtempSync(path.join(tmpdir(), 'prunekit-cli-'));

function cli(args: string[], cwd = dir): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SMALL = path.join(dir, 'small.yaml');
writeFileSync(SMALL, [
  '# a quick recipe for tests',
  'train: { epochs: 2, lr: 0.1 }',
  'prune:',
  '  sparsity: 0.9',
  '  schedule: iterative',
  '  rounds: 2',
  '  epochs: 2',
  'quantize: { epochs: 1, bits: 5 }',
].join('\n'));

/** Three Gaussian blobs in 6 dimensions as a CSV file (label column first). */
function blobsCsv(file: string, n = 600): void {
  const next = rng(3);
  const lines = ['label,a,b,c,d,e,f'];
  for (let i = 0; i < n; i++) {
    const label = i % 3;
    lines.push([label, ...Array.from({ length: 6 }, (_, k) => (k % 3 === label ? 2 : 0) + (next() - 0.5) * 1.5)].join(','));
  }
  writeFileSync(file, lines.join('\n'));
}

const oneLine = (stderr: string) => {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0];
};

describe('prunekit run', () => {
  let run: { code: number | null; stdout: string; stderr: string };
  let result: {
    dataset: string; arch: string; seed: number; file: string; fileBytes: number; compression: number; report: string;
    stages: { stage: string; accuracy: number; params: number; nonzero: number; bytes: number }[];
  };
  beforeAll(() => {
    run = cli(['run', '--recipe', SMALL, '--json', '--out', 'm.prk', '--report', 'r.html']);
    result = JSON.parse(run.stdout);
  });

  it('prints exactly one JSON object with the documented fields, and nothing else', () => {
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toBe('');
    expect(Object.keys(result)).toEqual(['dataset', 'arch', 'seed', 'stages', 'file', 'fileBytes', 'compression', 'report']);
    expect(result).toMatchObject({ dataset: 'mnist', arch: 'lenet-300-100', seed: 1, file: 'm.prk', report: 'r.html' });
    expect(result.stages.map((s) => s.stage)).toEqual(['baseline', 'pruned', 'quantized', 'huffman']);
    for (const s of result.stages) {
      expect(Object.keys(s)).toEqual(['stage', 'accuracy', 'params', 'nonzero', 'bytes']);
      expect(s.accuracy).toBeGreaterThan(0.8);
      expect(s.accuracy).toBeLessThanOrEqual(1);
      expect(s.params).toBe(266610);
    }
    expect(result.stages[0]).toMatchObject({ nonzero: 266610, bytes: 266610 * 4 });
    // 90% of the weights pruned (biases stay).
    expect(result.stages[1].nonzero).toBeLessThan(266610 * 0.11);
    const bytes = result.stages.map((s) => s.bytes);
    expect(bytes).toEqual([...bytes].sort((a, b) => b - a));
    expect(result.fileBytes).toBe(statSync(path.join(dir, 'm.prk')).size);
    expect(result.stages[3].bytes).toBe(result.fileBytes);
    expect(result.compression).toBeCloseTo(result.stages[0].bytes / result.fileBytes, 10);
    expect(readFileSync(path.join(dir, 'r.html'), 'utf8')).toMatch(/^<!doctype html>/);
  });

  it('eval of the written file reproduces the final accuracy exactly', () => {
    const r = cli(['eval', 'm.prk', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['accuracy', 'samples']);
    expect(out.accuracy).toBe(result.stages[3].accuracy);
    expect(out.samples).toBe(2004); // the embedded split: 80% of each class for training
  });

  it('info lists every tensor with its shape, non-zero count and bits', () => {
    const r = cli(['info', 'm.prk', '--json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.fileBytes).toBe(result.fileBytes);
    expect(info.layers.map((l: { name: string }) => l.name)).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias', 'fc3.weight', 'fc3.bias']);
    expect(info.layers[0]).toMatchObject({ shape: [300, 784], bits: 5 });
    expect(info.layers[1]).toMatchObject({ shape: [300], nonzero: 300, bits: 32 });
    const nonzero = info.layers.reduce((s: number, l: { nonzero: number }) => s + l.nonzero, 0);
    expect(nonzero).toBe(result.stages[3].nonzero); // counted in the decoded values, as the run counts them
    const human = cli(['info', 'm.prk']);
    expect(human.stdout).toContain('fc1.weight');
    expect(human.stdout).toContain('300×784');
  });
});

describe('train → prune → compress through checkpoints', () => {
  const csv = path.join(dir, 'blobs.csv');
  beforeAll(() => blobsCsv(csv));

  it('passes the recipe along and prints the documented JSON', () => {
    const train = cli(['train', '--data', `csv:${csv}`, '--arch', 'mlp:6-32-3', '--epochs', '5', '--out', 'base.safetensors', '--json']);
    expect(train.code).toBe(0);
    const t = JSON.parse(train.stdout);
    expect(Object.keys(t).sort()).toEqual(['accuracy', 'epochs', 'loss', 'nonzero', 'out', 'params', 'samplesPerSecond']);
    expect(t).toMatchObject({ epochs: 5, params: 6 * 32 + 32 + 32 * 3 + 3, nonzero: 6 * 32 + 32 + 32 * 3 + 3, out: 'base.safetensors' });
    expect(t.accuracy).toBeGreaterThan(0.9);
    expect(t.samplesPerSecond).toBeGreaterThan(0);

    // The dataset and architecture come from the checkpoint.
    const prune = cli(['prune', 'base.safetensors', '--sparsity', '0.5', '--schedule', 'one-shot', '--epochs', '2', '--out', 'pruned.safetensors', '--json']);
    expect(prune.code).toBe(0);
    const p = JSON.parse(prune.stdout);
    expect(p.epochs).toBe(2);
    expect(p.nonzero).toBe(288 / 2 + 35); // half of the 288 weights; the 35 biases are not pruned
    expect(p.accuracy).toBeGreaterThan(0.85);

    const compress = cli(['compress', 'pruned.safetensors', '--bits', '3', '--out', 'blobs.prk', '--json']);
    expect(compress.code).toBe(0);
    const c = JSON.parse(compress.stdout);
    expect(c.nonzero).toBe(p.nonzero);
    expect(c.fileBytes).toBe(statSync(path.join(dir, 'blobs.prk')).size);
    const e = JSON.parse(cli(['eval', 'blobs.prk', '--json']).stdout);
    expect(e.accuracy).toBe(c.accuracy);
    const info = JSON.parse(cli(['info', 'blobs.prk', '--json']).stdout);
    expect(info.layers[0]).toMatchObject({ name: 'fc1.weight', shape: [32, 6] });
    expect(info.layers[0].bits).toBeLessThanOrEqual(3);
    // eval also reads checkpoints.
    expect(JSON.parse(cli(['eval', 'pruned.safetensors', '--json']).stdout).accuracy).toBe(p.accuracy);

    // No fine-tuning budget prunes straight to the target; --no-report gives "report": null.
    const straight = JSON.parse(cli(['prune', 'base.safetensors', '--sparsity', '0.75', '--epochs', '0', '--out', 'p0.safetensors', '--json']).stdout);
    expect(straight).toMatchObject({ epochs: 0, nonzero: 288 / 4 + 35 });
    const run = cli(['run', '--data', `csv:${csv}`, '--arch', 'mlp:6-32-3', '--epochs', '3', '--no-report', '--out', 'nr.prk', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).report).toBeNull();
    expect(existsSync(path.join(dir, 'report.html'))).toBe(false);
  });

  it('structured methods prune hidden neurons to the sparsity, data paths are recorded absolute, a recipe cannot swap the network', () => {
    expect(cli(['train', '--data', 'csv:blobs.csv', '--arch', 'mlp:6-32-16-3', '--epochs', '3', '--out', 'rel.safetensors', '--quiet']).code).toBe(0);
    const elsewhere = mkdtempSync(path.join(tmpdir(), 'prunekit-elsewhere-'));
    const checkpoint = path.join(dir, 'rel.safetensors');
    for (const method of ['structured', 'group-lasso']) {
      const out = path.join(dir, `${method}.safetensors`);
      const r = cli(['prune', checkpoint, '--method', method, '--sparsity', '0.5', '--schedule', 'one-shot', '--epochs', '2', '--out', out], elsewhere);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^pruned: test accuracy [\\d.]+%, 451 of 803 parameters non-zero; wrote ${out}\n$`));
      expect(r.stderr).toContain(`${method} removes whole neurons or filters: each hidden layer loses 50% of them, and so of its weights; the output layer keeps its classes; prune.scope (global) does not apply`);
      const layers = JSON.parse(cli(['info', out, '--json']).stdout).layers as { name: string; nonzero: number }[];
      const nonzero = Object.fromEntries(layers.map((l) => [l.name, l.nonzero]));
      // Half of each hidden layer's neurons, whole rows; the output layer untouched.
      expect([nonzero['fc1.weight'], nonzero['fc2.weight'], nonzero['fc3.weight']]).toEqual([16 * 6, 8 * 32, 3 * 16]);
    }
    writeFileSync(path.join(dir, 'other-net.yaml'), 'arch: lenet-5\n');
    const swapped = cli(['prune', 'rel.safetensors', '--recipe', 'other-net.yaml']);
    expect(swapped.code).toBe(1);
    expect(oneLine(swapped.stderr)).toBe('prunekit: arch: the recipe names lenet-5, but rel.safetensors holds a mlp:6-32-16-3 network');
  });

  it('measures sensitivity on a validation split held out of the training data, not on the test split', () => {
    expect(cli(['train', '--arch', 'mlp:784-16-10', '--epochs', '1', '--out', 'mnist16.safetensors', '--quiet']).code).toBe(0);
    const r = cli(['sensitivity', 'mnist16.safetensors', '--json']);
    expect(r.code).toBe(0);
    const dense = JSON.parse(r.stdout).layers[0].curve[0];
    expect(dense.sparsity).toBe(0);
    const model = loadCheckpoint(path.join(dir, 'mnist16.safetensors')).model;
    const { train, test } = loadMnist();
    const validation = model.evaluate(holdOut(train, 0.1, 1).validation).accuracy;
    expect(dense.accuracy).toBe(validation);
    expect(validation).not.toBe(model.evaluate(test).accuracy);
    // a pruned checkpoint: each layer's curve starts where it is, in a column of its own
    expect(cli(['prune', 'mnist16.safetensors', '--schedule', 'one-shot', '--sparsity', '0.6', '--epochs', '1', '--out', 'mnist16-pruned.safetensors', '--quiet']).code).toBe(0);
    const pruned = cli(['sensitivity', 'mnist16-pruned.safetensors', '--quiet']);
    expect(pruned.code).toBe(0);
    const layers = JSON.parse(cli(['sensitivity', 'mnist16-pruned.safetensors', '--json']).stdout).layers as { layer: string; curve: { sparsity: number }[] }[];
    const masks = loadCheckpoint(path.join(dir, 'mnist16-pruned.safetensors')).model.parameters().filter((p) => p.mask);
    expect(layers.map((l) => l.curve[0].sparsity)).toEqual(masks.map((p) => p.mask!.filter((m) => m === 0).length / p.size));
    const [head, , ...rows] = pruned.stdout.split('\n');
    const columns = head.trim().split(/\s+/);
    layers.forEach((l, i) => {
      expect(columns).toContain(`${+(l.curve[0].sparsity * 100).toFixed(1)}%`);
      expect(rows[i].trim().split(/\s+/)).toHaveLength(3 + l.curve.length); // name, weights, its points, allocated
    });
  });
});

describe('mistakes: one line, exit 1 for usage and 2 for data or model', () => {
  const cases: [string, string[], number, RegExp][] = [
    ['unknown option', ['run', '--bogus'], 1, /unknown option '--bogus'/],
    ['a misspelt option, its suggestion on the same line', ['run', '--epoch', '2'], 1, /^prunekit: unknown option '--epoch' \(Did you mean --epochs\?\)$/],
    ['a learning rate of 0', ['train', '--lr', '0'], 1, /^prunekit: --lr 0: expected a number in \(0, 10\]$/],
    ['unknown command', ['frobnicate'], 1, /unknown command 'frobnicate'/],
    ['bad sparsity', ['run', '--sparsity', '1.5'], 1, /--sparsity 1\.5: expected a number in \[0, 0\.999\]/],
    ['unknown architecture', ['run', '--arch', 'resnet'], 1, /unknown architecture 'resnet'/],
    ['unknown method', ['run', '--method', 'vibes', '--epochs', '0'], 1, /^prunekit: prune\.method \(or --method\): unknown pruning method 'vibes'/],
    ['bad bits', ['run', '--bits', 'fc1=99'], 1, /--bits/],
    ['N:M groups that do not divide a layer (before any training)', ['run', '--method', 'nm:3:7'], 1, /prune\.method \(or --method\) nm:3:7: fc2\.weight has rows of 300 weights, not a multiple of 7/],
    ['compress with bits for a layer that does not exist', ['compress', 'base.safetensors', '--bits', 'conv1=8,default=5'], 1, /quantize\.bits\.conv1 \(or --bits\): no such layer/],
    ['missing recipe', ['run', '--recipe', 'nope.yaml'], 1, /nope\.yaml: cannot read \(no such file\)/],
    ['missing dataset', ['run', '--data', 'idx:/nonexistent/dir'], 2, /nonexistent/],
    ['unknown dataset', ['run', '--data', 'cifar'], 1, /^prunekit: data \(or --data\): unknown dataset 'cifar'/],
    ['missing model', ['eval', 'missing.prk'], 2, /missing\.prk: cannot read \(no such file\)/],
    ['bits for a layer that does not exist (before any training)', ['run', '--bits', 'fc9=5'], 1, /quantize\.bits\.fc9 \(or --bits\): no such layer/],
    ['excluding a layer that does not exist', ['run', '--recipe', 'exclude.yaml'], 1, /^prunekit: prune\.exclude: unknown layer 'fc9' \(have fc1, fc2, fc3\)$/m],
    ['excluding every layer', ['run', '--recipe', 'exclude-all.yaml'], 1, /^prunekit: prune\.exclude: leaves no layer to prune \(of fc1, fc2, fc3\)$/m],
    ['N:M numbers the method refuses', ['run', '--method', 'nm:5:4'], 1, /^prunekit: prune\.method \(or --method\) nm:5:4: nm:N:M keeps N of every M weights, 1 <= N < M$/],
    ['N:M keeping nothing', ['run', '--method', 'nm:0:4'], 1, /^prunekit: prune\.method \(or --method\) nm:0:4: nm:N:M keeps N of every M weights, 1 <= N < M$/],
    // Outputs are checked before the work: a mistyped directory costs no training run.
    ['a model file in a directory that does not exist', ['run', '--out', 'no/such/m.prk'], 2, /no\/such\/m\.prk: cannot write the model file \(the directory .*no\/such does not exist\)/],
    ['a report in a directory that does not exist', ['run', '--report', 'gone/r.html'], 2, /gone\/r\.html: cannot write the report \(the directory .*gone does not exist\)/],
    ['a checkpoint path that is a directory', ['train', '--out', '.'], 2, /\.: cannot write the checkpoint \(a directory, not a file\)/],
    ['a model file path that ends in a slash', ['run', '--out', 'fresh/'], 2, /fresh\/: cannot write the model file \(a directory, not a file\)/],
    ['an output check that waits for the usage checks', ['run', '--bits', 'fc9=5', '--out', 'no/such/m.prk'], 1, /quantize\.bits\.fc9 \(or --bits\): no such layer/],
    ['a sensitivity report under a file', ['sensitivity', '--report', 'exclude.yaml/r.html'], 2, /exclude\.yaml\/r\.html: cannot write the report \(.*exclude\.yaml is not a directory\)/],
    // Outputs that would destroy another output or an input: refused before the work.
    ['the model file and the report in one file', ['run', '--out', 'same.out', '--report', './same.out'], 1, /^prunekit: \.\/same\.out: cannot write the report over the model file$/],
    ['a checkpoint over the recipe it was given', ['train', '--recipe', 'exclude.yaml', '--out', 'exclude.yaml'], 1, /^prunekit: exclude\.yaml: cannot write the checkpoint over the recipe$/],
    ['a model file over the checkpoint it reads', ['compress', 'base.safetensors', '--out', 'base.safetensors'], 1, /^prunekit: base\.safetensors: cannot write the model file over the checkpoint it reads$/],
    ['YAML in a .json recipe', ['run', '--recipe', 'yaml.json'], 1, /^prunekit: recipe yaml\.json is not valid JSON: Unexpected token 'p', "prune:\\n {2}m"\.\.\. is not valid JSON$/],
    ['a .prk file that is no model file', ['info', 'text.prk'], 2, /^prunekit: text\.prk: not a prunekit model file \(bad magic bytes\), nor a safetensors checkpoint$/],
  ];
  it.each(cases)('%s', (_name, args, code, message) => {
    writeFileSync(path.join(dir, 'exclude.yaml'), 'prune: { exclude: [fc9] }\n');
    writeFileSync(path.join(dir, 'exclude-all.yaml'), 'prune: { exclude: [fc1, fc2.weight, fc3] }\n');
    writeFileSync(path.join(dir, 'yaml.json'), 'prune:\n  method: structured\n');
    writeFileSync(path.join(dir, 'text.prk'), 'hello');
    const r = cli(args);
    expect(r.stderr).toMatch(/^prunekit: /);
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    expect(oneLine(r.stderr)).toMatch(message);
  });

  it('refuses to write training data over itself, and a failed write leaves earlier outputs as they were', () => {
    const csv = path.join(dir, 'victim.csv');
    blobsCsv(csv);
    const before = readFileSync(csv);
    const r = cli(['train', '--data', `csv:${csv}`, '--arch', 'mlp:6-32-3', '--out', csv]);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/victim\.csv: cannot write the checkpoint over the data$/);
    expect(readFileSync(csv).equals(before)).toBe(true);
    // an IDX directory's files are data too
    const idxDir = path.join(dir, 'idx-victim');
    mkdirSync(idxDir, { recursive: true });
    const idxFile = (dims: number[], body: number[]) => {
      const head = Buffer.alloc(4 + 4 * dims.length);
      head.writeUInt8(0x08, 2);
      head.writeUInt8(dims.length, 3);
      dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
      return Buffer.concat([head, Buffer.from(body)]);
    };
    for (const prefix of ['train', 't10k']) {
      writeFileSync(path.join(idxDir, `${prefix}-images-idx3-ubyte`), idxFile([30, 2, 3], Array.from({ length: 180 }, (_, i) => (i * 37) % 256)));
      writeFileSync(path.join(idxDir, `${prefix}-labels-idx1-ubyte`), idxFile([30], Array.from({ length: 30 }, (_, i) => i % 3)));
    }
    const labels = path.join(idxDir, 't10k-labels-idx1-ubyte');
    const labelsBefore = readFileSync(labels);
    const idx = cli(['train', '--data', `idx:${idxDir}`, '--arch', 'mlp:6-8-10', '--out', labels]);
    expect(idx.code).toBe(1);
    expect(oneLine(idx.stderr)).toMatch(/t10k-labels-idx1-ubyte: cannot write the checkpoint over the data$/);
    expect(readFileSync(labels).equals(labelsBefore)).toBe(true);
    // beside a .gz, the raw name would be read instead of it next time
    const gzDir = path.join(dir, 'idx-gz');
    mkdirSync(gzDir, { recursive: true });
    for (const f of readdirSync(idxDir)) writeFileSync(path.join(gzDir, `${f}.gz`), gzipSync(readFileSync(path.join(idxDir, f))));
    const shadow = cli(['train', '--data', `idx:${gzDir}`, '--arch', 'mlp:6-8-10', '--out', path.join(gzDir, 'train-images-idx3-ubyte')]);
    expect(shadow.code).toBe(1);
    expect(oneLine(shadow.stderr)).toMatch(/idx-gz\/train-images-idx3-ubyte: cannot write the checkpoint over the data$/);
    expect(existsSync(path.join(gzDir, 'train-images-idx3-ubyte'))).toBe(false);
    if (!existsSync('/dev/full')) return;
    writeFileSync(path.join(dir, 'keep.prk'), 'previous model');
    const failed = cli(['run', '--data', `csv:${csv}`, '--arch', 'mlp:6-32-3', '--epochs', '1', '--out', 'keep.prk', '--report', '/dev/full', '--quiet']);
    expect(failed.code).toBe(2);
    expect(oneLine(failed.stderr)).toMatch(/\/dev\/full: cannot write the report \(ENOSPC\)/);
    expect(readFileSync(path.join(dir, 'keep.prk'), 'utf8')).toBe('previous model');
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  it('a reader that stops early ends the command quietly, with 141 as SIGPIPE would', async () => {
    const child = spawn(process.execPath, [CLI, '--help'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // as `prunekit --help | head -0` closes the pipe
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect({ code, stderr }).toEqual({ code: 141, stderr: '' });
  });

  it('sensitivity on data too small for a validation split', () => {
    const rows = ['label,a,b', ...Array.from({ length: 10 }, (_, i) => `${i % 2},${i},${-i}`)];
    writeFileSync(path.join(dir, 'tiny10.csv'), rows.join('\n'));
    const r = cli(['sensitivity', '--data', 'csv:tiny10.csv', '--arch', 'mlp:2-4-2', '--epochs', '0']);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/^prunekit: tiny10\.csv train: 8 samples leave the 10% validation split empty; add samples$/);
  });

  it('a model that does not fit the data', () => {
    const csv = path.join(dir, 'blobs2.csv');
    blobsCsv(csv, 90);
    const r = cli(['run', '--data', `csv:${csv}`, '--arch', 'lenet-5']);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/--arch lenet-5 needs 28×28 single-channel images and 10 classes/);
  });

  it('bad recipes name the file and the field', () => {
    const write = (name: string, text: string) => (writeFileSync(path.join(dir, name), text), name);
    const cases: [string, RegExp][] = [
      [write('typo.yaml', 'prune:\n  sparsty: 0.9\n'), /recipe typo\.yaml: prune\.sparsty: unknown recipe field/],
      [write('range.yaml', 'prune: { sparsity: 2 }\n'), /recipe range\.yaml: prune\.sparsity: expected a number in \[0, 0\.999\], got 2/],
      [write('type.json', '{"train": {"epochs": "ten"}}'), /recipe type\.json: train\.epochs: expected an integer/],
      [write('broken.yaml', 'prune: [1, 2\n'), /recipe broken\.yaml is not valid YAML/],
      [write('broken.json', '{"prune": '), /recipe broken\.json is not valid JSON/],
      [write('layers.yaml', 'prune: { layers: { fc9: 0.5 } }\ntrain: { epochs: 0 }\n'), /prune\.layers\.fc9: no such prunable layer/],
      [write('schedule.yaml', 'prune: { schedule: sometimes }\n'), /prune\.schedule: expected iterative \| gradual \| one-shot/],
    ];
    for (const [file, message] of cases) {
      const r = cli(['run', '--recipe', file]);
      expect(r.code).toBe(1);
      expect(oneLine(r.stderr)).toMatch(message);
    }
  });

  it('a corrupt or truncated model file', () => {
    const bytes = readFileSync(path.join(dir, 'm.prk'));
    writeFileSync(path.join(dir, 'flipped.prk'), Buffer.from(bytes.map((b, i) => (i === bytes.length - 10 ? b ^ 0x10 : b))));
    writeFileSync(path.join(dir, 'cut.prk'), bytes);
    truncateSync(path.join(dir, 'cut.prk'), Math.floor(bytes.length / 2));
    for (const [file, message] of [['flipped.prk', /CRC/], ['cut.prk', /truncated|bytes/]] as const) {
      for (const command of ['eval', 'info']) {
        const r = cli([command, file]);
        expect(r.code).toBe(2);
        expect(oneLine(r.stderr)).toMatch(message);
        expect(r.stderr).toMatch(new RegExp(`^prunekit: ${file}: `));
      }
    }
  });
});

describe('Ctrl-C', () => {
  it('leaves no output file, whole or partial', async () => {
    const out = mkdtempSync(path.join(dir, 'interrupt-'));
    const child = spawn(process.execPath, [CLI, 'run', '--out', 'model.prk', '--report', 'report.html', '--quiet'], { cwd: out, stdio: 'ignore' });
    await new Promise((resolve) => setTimeout(resolve, 2500));
    child.kill('SIGINT');
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    expect(code === 130 || signal === 'SIGINT').toBe(true);
    expect(readdirSync(out)).toEqual([]);
    expect(existsSync(path.join(out, 'model.prk'))).toBe(false);
  });
});
