// Renders bench/results/*.json as Markdown between the README's
// <!-- bench:start --> and <!-- bench:end --> markers.
'use strict';
const fs = require('fs');
const path = require('path');

function fmt(v) {
  if (typeof v !== 'number') return String(v);
  if (!Number.isFinite(v)) return '–';
  if (Number.isInteger(v)) return String(v);
  return v.toFixed(Math.abs(v) >= 100 ? 1 : Math.abs(v) >= 10 ? 2 : 3);
}

function table(title, rows) {
  if (!rows || rows.length === 0) return '';
  const headers = Object.keys(rows[0]);
  return [
    `**${title}**`,
    '',
    `| ${headers.join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${headers.map((h) => fmt(r[h])).join(' | ')} |`),
    '',
  ].join('\n');
}

function render(root) {
  const dir = path.join(root, 'bench', 'results');
  if (!fs.existsSync(dir)) return '_No results yet: run `npm run bench`._\n';
  const out = [];
  let machine = null;
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const result = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    machine = machine ?? result.machine;
    for (const [name, rows] of Object.entries(result.tables)) out.push(table(`${result.benchmark}: ${name}`, rows));
  }
  if (machine) {
    out.unshift(
      `Measured on ${machine.cpu}, ${machine.cores} cores, ${machine.backend} (${machine.kernelSet}), ` +
        `${machine.threads} threads, Node ${machine.node}, ${machine.date.slice(0, 10)}. Medians; ratios come from one run.\n`,
    );
  }
  return out.join('\n');
}

function updateReadme(root) {
  const readme = path.join(root, 'README.md');
  if (!fs.existsSync(readme)) return;
  const text = fs.readFileSync(readme, 'utf8');
  const start = '<!-- bench:start -->', end = '<!-- bench:end -->';
  const a = text.indexOf(start), b = text.indexOf(end);
  if (a < 0 || b < a) return;
  fs.writeFileSync(readme, `${text.slice(0, a + start.length)}\n${render(root)}\n${text.slice(b)}`);
}

module.exports = { updateReadme, render };
if (require.main === module) updateReadme(path.resolve(__dirname, '..'));
