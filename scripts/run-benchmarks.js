#!/usr/bin/env node
// `npm run bench [names...]`: runs bench/<name>.bench.ts one process each
// (with tsx), then rewrites the README's benchmark section from
// bench/results/*.json.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const benchDir = path.join(root, 'bench');
const wanted = process.argv.slice(2);
const all = fs.readdirSync(benchDir).filter((f) => f.endsWith('.bench.ts')).map((f) => f.replace('.bench.ts', ''));
const names = wanted.length ? wanted : all;
for (const name of names) {
  if (!all.includes(name)) {
    console.error(`prunekit bench: no benchmark named ${name} (have: ${all.join(', ')})`);
    process.exit(1);
  }
}

let failed = false;
for (const name of names) {
  console.log(`\n=== ${name} ===`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(benchDir, `${name}.bench.ts`)], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
require('./bench-readme').updateReadme(root);
process.exit(failed ? 1 : 0);
