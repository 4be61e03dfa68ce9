/**
 * Benchmark harness: timing with medians, interleaved variants (so that the
 * variants of one comparison see the same machine load), tables on stdout
 * and a JSON file per benchmark under bench/results/ with the machine's
 * description.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { info } from '../lib';

export interface Timing {
  /** Median seconds per call. */
  median: number;
  p10: number;
  p90: number;
  samples: number;
}

function now(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

/** Calls per sample so that one sample lasts at least `targetSeconds`. */
function callsPerSample(fn: () => unknown, targetSeconds: number): number {
  let calls = 1;
  for (;;) {
    const t0 = now();
    for (let i = 0; i < calls; i++) fn();
    const elapsed = now() - t0;
    if (elapsed >= targetSeconds || calls >= 1 << 20) return calls;
    calls = Math.max(calls * 2, Math.ceil((calls * targetSeconds) / Math.max(elapsed, 1e-9)));
  }
}

function summarise(perCall: number[]): Timing {
  const sorted = [...perCall].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: at(0.5), p10: at(0.1), p90: at(0.9), samples: sorted.length };
}

export interface MeasureOptions {
  /** Samples per variant. */
  rounds?: number;
  /** Minimum duration of one sample (several calls when a call is short). */
  sampleSeconds?: number;
}

/**
 * Times several variants round-robin: round r runs one sample of each
 * variant in turn. Returns the per-call timing of each variant.
 */
export function interleaved(variants: Record<string, () => unknown>, options: MeasureOptions = {}): Record<string, Timing> {
  const { rounds = 31, sampleSeconds = 0.002 } = options;
  const names = Object.keys(variants);
  const calls: Record<string, number> = {};
  for (const name of names) {
    for (let i = 0; i < 3; i++) variants[name]();
    calls[name] = callsPerSample(variants[name], sampleSeconds);
  }
  const perCall: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const name of names) {
      const fn = variants[name];
      const n = calls[name];
      const t0 = now();
      for (let i = 0; i < n; i++) fn();
      perCall[name].push((now() - t0) / n);
    }
  }
  return Object.fromEntries(names.map((n) => [n, summarise(perCall[n])]));
}

export function measure(fn: () => unknown, options: MeasureOptions = {}): Timing {
  return interleaved({ fn }, options).fn;
}

export function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    ...info(),
    date: new Date().toISOString(),
  };
}

export type Row = Record<string, string | number>;

export function printTable(title: string, rows: Row[]): void {
  if (rows.length === 0) return;
  const headers = Object.keys(rows[0]);
  const cell = (v: string | number) => (typeof v === 'number' ? formatNumber(v) : v);
  const widths = headers.map((h) => Math.max(h.length, ...rows.map((r) => cell(r[h]).length)));
  const line = (values: string[]) => values.map((v, i) => v.padStart(widths[i])).join('  ');
  process.stdout.write(`\n${title}\n${line(headers)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
  for (const r of rows) process.stdout.write(`${line(headers.map((h) => cell(r[h])))}\n`);
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const digits = Math.abs(v) >= 100 ? 1 : Math.abs(v) >= 10 ? 2 : 3;
  return v.toFixed(digits);
}

/** Writes bench/results/<name>.json: the machine, the tables, and any extra figures. */
export function writeResults(name: string, tables: Record<string, Row[]>, extra: Record<string, unknown> = {}): string {
  const dir = path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ benchmark: name, machine: machine(), tables, ...extra }, null, 2)}\n`);
  return file;
}
