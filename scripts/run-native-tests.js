#!/usr/bin/env node
// Runs the C++ kernel tests built by the CMake build (build/kernel_tests).
// When the addon was built with node-gyp only, builds them with cmake first.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const binary = path.join(root, 'build', 'kernel_tests');

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

if (!fs.existsSync(binary)) {
  const dir = path.join(root, 'build', 'native-tests');
  const status =
    run('cmake', ['-S', root, '-B', dir, '-DCMAKE_BUILD_TYPE=Release']) ||
    run('cmake', ['--build', dir, '--target', 'kernel_tests', '--parallel', '2']);
  if (status !== 0) process.exit(status);
  process.exit(run(path.join(dir, 'kernel_tests'), []));
}
process.exit(run(binary, []));
