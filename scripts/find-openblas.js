#!/usr/bin/env node
// Locates the system OpenBLAS for binding.gyp (node-gyp has no find_library).
// Usage: node scripts/find-openblas.js defines|include_dirs|libraries
// Prints nothing for every query when OpenBLAS is absent, and warns once.
'use strict';
const fs = require('fs');
const path = require('path');

const triplet = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }[process.arch] ?? '';
const variants = ['openblas-pthread', 'openblas-openmp', 'openblas-serial', 'openblas', ''];
const libRoots = [`/usr/lib/${triplet}`, '/usr/lib64', '/usr/lib', '/usr/local/lib', '/opt/homebrew/opt/openblas/lib'];
const incRoots = [`/usr/include/${triplet}`, '/usr/include', '/usr/local/include', '/opt/homebrew/opt/openblas/include'];

function firstExisting(roots, file) {
  for (const root of roots) {
    for (const variant of variants) {
      const dir = path.join(root, variant);
      if (fs.existsSync(path.join(dir, file))) return dir;
    }
  }
  return null;
}

const libDir = firstExisting(libRoots, process.platform === 'darwin' ? 'libopenblas.dylib' : 'libopenblas.so');
const incDir = firstExisting(incRoots, 'cblas.h');
const found = Boolean(libDir && incDir);
const query = process.argv[2];

if (!found && query === 'defines') {
  process.stderr.write(
    'prunekit: WARNING OpenBLAS not found; building the portable built-in kernels (much slower GEMM). ' +
      'Install it with: apt-get install libopenblas-dev, then npm rebuild prunekit\n',
  );
}
const answers = {
  defines: found ? 'PRUNEKIT_HAVE_OPENBLAS=1' : '',
  include_dirs: found ? incDir : '',
  libraries: found ? `-L${libDir} -Wl,-rpath,${libDir} -lopenblas` : '',
};
process.stdout.write(`${answers[query] ?? ''}\n`);
