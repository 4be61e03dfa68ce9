/**
 * Gradient-based pruning (the seeds' idea): a weight whose gradient stays
 * small over many batches barely affects the loss. Scores are Σ_batches |g|
 * accumulated by observe() — a Pruner calls it after every backward pass,
 * collectGradients() does it without training. With nothing accumulated,
 * the current gradient is used.
 */
import { PrunekitError } from '../errors';
import { PruningMethod, scoreMethod } from './method';
import { Target, assertTargets } from './targets';

function currentGradient(t: Target, method: string): Float32Array {
  const g = t.param.grad.data;
  if (!g.some((v) => v !== 0)) {
    throw new PrunekitError(
      `${method} pruning needs gradients, and ${t.param.name} has none: run collectGradients() first or prune through a Pruner while training`,
    );
  }
  return g;
}

/** Accumulates a per-weight statistic of the gradient across observe() calls. */
export class GradientAccumulator {
  private readonly sums = new Map<Target['param'], Float32Array>();
  private batches = 0;

  constructor(private readonly absolute: boolean) {}

  observe(targets: Target[]): void {
    assertTargets('targets', targets);
    for (const { param } of targets) {
      let s = this.sums.get(param);
      if (!s) this.sums.set(param, (s = new Float32Array(param.size)));
      const g = param.grad.data;
      if (this.absolute) for (let i = 0; i < s.length; i++) s[i] += Math.abs(g[i]);
      else for (let i = 0; i < s.length; i++) s[i] += g[i];
    }
    this.batches++;
  }

  /** The accumulated statistic (mean over batches), or the current gradient when nothing was observed. */
  get(t: Target, method: string): Float32Array {
    const s = this.sums.get(t.param);
    if (!s || this.batches === 0) return currentGradient(t, method);
    const out = new Float32Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s[i] / this.batches;
    return out;
  }

  reset(): void {
    this.sums.clear();
    this.batches = 0;
  }
}

export function gradientPruning(): PruningMethod {
  const acc = new GradientAccumulator(true);
  return scoreMethod({
    name: 'gradient',
    scores: (t) => acc.get(t, 'gradient'),
    observe: (targets) => acc.observe(targets),
    reset: () => acc.reset(),
  });
}
