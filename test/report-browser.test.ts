/**
 * The report opens in a real browser: `prunekit run` and `prunekit
 * sensitivity` write their reports, headless Chromium (Debian's chromium,
 * driven by playwright-core) loads them, and every chart must have drawn
 * data marks with real, finite geometry. Needs /usr/bin/chromium (the
 * README's test command and .ci/run install it).
 */
import { spawnSync } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import path from 'path';
import { Browser, chromium } from 'playwright-core';

const CLI = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const dir = mkdtempSync(path.join(tmpdir(), 'prunekit-report-'));

function cli(args: string[]): void {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`prunekit ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
}

interface ChartCheck {
  chart: string;
  width: number;
  height: number;
  marks: number;
  badGeometry: number;
}

/** The few DOM members the check uses (the test compiles without the DOM library). */
interface Box { width: number; height: number }
interface SvgItem { getBBox(): Box; getAttribute(name: string): string | null }
interface Figure {
  querySelector(selector: string): { getBoundingClientRect(): Box } | null;
  querySelectorAll(selector: string): ArrayLike<SvgItem>;
  getAttribute(name: string): string | null;
}

let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium) to run the report test`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  writeFileSync(path.join(dir, 'quick.yaml'), 'train: { epochs: 2 }\nprune: { sparsity: 0.9, rounds: 2, epochs: 2 }\nquantize: { epochs: 1 }\n');
  cli(['run', '--recipe', 'quick.yaml', '--quiet', '--out', 'm.prk', '--report', 'run.html']);
  cli(['sensitivity', '--epochs', '1', '--quiet', '--report', 'sensitivity.html']);
});

afterAll(async () => {
  await browser?.close();
});

async function chartsIn(file: string): Promise<ChartCheck[]> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
  await page.goto(`file://${file}`);
  const checks = await page.$$eval('figure.chart', (elements) => (elements as unknown as Figure[]).map((f) => {
    const svg = f.querySelector('svg');
    const box = svg?.getBoundingClientRect();
    // Data marks (not axes or legends) sit in groups with the class role-mark.
    const items = Array.from(f.querySelectorAll('.role-mark > *'));
    const drawn = items.filter((el) => {
      const b = el.getBBox();
      return b.width > 0 && b.height > 0; // zero-area items are what a broken scale draws
    });
    const bad = items.filter((el) => /NaN|Infinity/.test(el.getAttribute('d') ?? '') || /NaN/.test(el.getAttribute('transform') ?? ''));
    return { chart: f.getAttribute('data-chart') ?? '', width: box?.width ?? 0, height: box?.height ?? 0, marks: drawn.length, badGeometry: bad.length };
  }));
  await page.close();
  expect(errors).toEqual([]);
  return checks;
}

it('every chart of the run report renders with data marks', async () => {
  const html = readFileSync(path.join(dir, 'run.html'), 'utf8');
  expect(html).not.toMatch(/<script|<link|src="http/); // self-contained
  const charts = await chartsIn(path.join(dir, 'run.html'));
  expect(charts.map((c) => c.chart)).toEqual([
    'accuracy-vs-size', 'accuracy-vs-sparsity', 'weight-histograms', 'sparsity-maps', 'compression-breakdown', 'network',
  ]);
  for (const c of charts) {
    expect({ chart: c.chart, sized: c.width > 200 && c.height > 100, marks: c.marks > 3, badGeometry: c.badGeometry })
      .toEqual({ chart: c.chart, sized: true, marks: true, badGeometry: 0 });
  }
  // The report's tables: stages, per-layer compression (Table 2) and MDL.
  expect(html).toContain('Results per stage');
  expect(html).toContain('Compression per layer');
  expect(html).toContain('Minimum description length');
});

it('the sensitivity report draws one curve per layer', async () => {
  const charts = await chartsIn(path.join(dir, 'sensitivity.html'));
  expect(charts.map((c) => c.chart)).toEqual(['sensitivity']);
  // 3 layers × 8 points (sparsity 0 and the 7 default levels) plus the 3 lines.
  expect(charts[0].marks).toBeGreaterThanOrEqual(3);
  expect(charts[0].badGeometry).toBe(0);
});
