#!/usr/bin/env node
// Builds the native addon: with cmake-js when cmake is installed (the primary
// build, which also builds the C++ kernel tests and benchmark driver), else
// with node-gyp from binding.gyp. `--gyp` forces node-gyp.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const version = require(path.join(root, 'package.json')).version;
const forceGyp = process.argv.includes('--gyp');

function has(command) {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;
}

function run(command, args) {
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, CMAKE_BUILD_PARALLEL_LEVEL: process.env.CMAKE_BUILD_PARALLEL_LEVEL ?? '2' },
  });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function binFrom(pkg, bin) {
  return require.resolve(path.join(pkg, bin), { paths: [root] });
}

// A cached configure that found no OpenBLAS would be reused by `cmake-js compile`
// even after the user installs it, so the advice "install libopenblas-dev, then
// npm rebuild prunekit" would change nothing: configure again in that case.
function forgetConfigureWithoutBlas() {
  const cache = path.join(root, 'build', 'CMakeCache.txt');
  if (!fs.existsSync(cache) || !/^OPENBLAS_(LIBRARY|INCLUDE_DIR):\w+=\S*-NOTFOUND$/m.test(fs.readFileSync(cache, 'utf8'))) return;
  const probe = spawnSync(process.execPath, [path.join(__dirname, 'find-openblas.js'), 'defines'], { encoding: 'utf8' });
  if (probe.stdout.trim() !== '') fs.rmSync(cache);
}

let status;
if (!forceGyp && has('cmake')) {
  forgetConfigureWithoutBlas();
  status = run(process.execPath, [
    binFrom('cmake-js', 'bin/cmake-js'),
    'compile',
    '--log-level',
    'warn',
    `--CDPRUNEKIT_PACKAGE_VERSION=${version}`,
  ]);
} else {
  if (!forceGyp) console.warn('prunekit: cmake not found; building with node-gyp from binding.gyp');
  const args = ['rebuild', '--release'];
  // Build against this Node's own headers when it ships them (no download).
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
  let gyp;
  try {
    gyp = binFrom('node-gyp', 'bin/node-gyp.js');
  } catch {
    gyp = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  }
  status = run(process.execPath, [gyp, ...args]);
}
if (status !== 0) {
  console.error(
    'prunekit: building the native addon failed. It needs a C++17 compiler, and cmake or python3 for node-gyp; ' +
      'for fast GEMM also OpenBLAS (apt-get install libopenblas-dev). Then run: npm rebuild prunekit',
  );
}
process.exit(status);
