/**
 * Dynamic sparse training: the network trains sparse from the start and
 * moves its connections while the total sparsity stays fixed.
 *   SET  (Mocanu et al., arXiv 1707.04780): every `updateEvery` steps each
 *        layer drops the fraction α of its active weights with the smallest
 *        |w| and regrows as many at random among the inactive ones.
 *   RigL (Evci et al., arXiv 1911.11134): drops the same way and regrows the
 *        inactive connections with the largest |dense gradient|; α decays as
 *        α/2 · (1 + cos(π t / endStep)).
 * The masks move after the update step's optimizer step (as RigL's
 * reference code does): drops see the stepped weights, and regrown weights
 * and their optimizer state end the step at zero. Layer sparsities are uniform or
 * Erdős–Rényi-Kernel (ERK: density ∝ Σ dims / Π dims, dense layers capped),
 * and the initial masks are random.
 */
import { ArgumentRangeError } from '../errors';
import { applyMask } from '../kernels/mask';
import { globalMagnitudeThreshold } from '../kernels/threshold';
import { Random } from '../random';
import { Sequential } from '../nn/sequential';
import { TrainerHooks } from '../train/trainer';
import { assertInRange, assertInteger, expected, optionsObject, quoted } from '../validate';
import { randomPruning } from './random';
import { TARGET_OPTIONS, Target, TargetOptions, assertSparsity, assertTargets, selectTargets } from './targets';

export type SparsityDistribution = 'uniform' | 'erk';

export interface DynamicSparseOptions extends TargetOptions {
  mode: 'set' | 'rigl';
  sparsity: number;
  distribution?: SparsityDistribution;
  updateEvery?: number;
  /** No updates from this step on (RigL's T_end; its cosine reaches 0 here). */
  endStep: number;
  dropFraction?: number;
  seed?: number;
}

/** Per-target sparsities with the given overall sparsity. */
export function layerSparsities(targets: Target[], sparsity: number, distribution: SparsityDistribution, name = 'sparsity'): number[] {
  assertTargets('targets', targets);
  assertSparsity(name, sparsity);
  if (distribution === 'uniform') return targets.map(() => sparsity);
  if (distribution !== 'erk') throw new ArgumentRangeError(expected("'uniform' or 'erk'", 'options.distribution', quoted(distribution)));
  const sizes = targets.map((t) => t.param.size);
  const raw = targets.map((t) => t.param.shape.reduce((a, b) => a + b, 0) / t.param.size);
  const budget = (1 - sparsity) * sizes.reduce((a, b) => a + b, 0);
  const dense = new Set<number>();
  for (;;) {
    let fixed = 0, scaled = 0;
    targets.forEach((_, i) => (dense.has(i) ? (fixed += sizes[i]) : (scaled += raw[i] * sizes[i])));
    const eps = (budget - fixed) / scaled;
    const capped = targets.findIndex((_, i) => !dense.has(i) && eps * raw[i] > 1);
    if (capped < 0) return targets.map((_, i) => (dense.has(i) ? 0 : 1 - eps * raw[i]));
    dense.add(capped);
  }
}

export class DynamicSparseTraining {
  readonly targets: Target[];
  readonly sparsities: number[];
  /** Connections moved at each update. */
  readonly updates: { step: number; moved: number }[] = [];
  readonly hooks: TrainerHooks;
  private readonly rng: Random;
  private stashed: Uint8Array[] | null = null;
  /** An update step between its backward pass and its optimizer step; RigL's dense |gradient| per target. */
  private pending: { step: number; growScores: Float32Array[] | null } | null = null;
  private readonly options: Required<Omit<DynamicSparseOptions, keyof TargetOptions>>;

  constructor(model: Sequential, options: DynamicSparseOptions) {
    options = optionsObject('options', options, [...TARGET_OPTIONS, 'mode', 'sparsity', 'distribution', 'updateEvery', 'endStep', 'dropFraction', 'seed']);
    const { mode, sparsity, distribution = 'uniform', updateEvery = 100, endStep, dropFraction = 0.3, seed = 0 } = options;
    if (mode !== 'set' && mode !== 'rigl') throw new ArgumentRangeError(expected("'set' or 'rigl'", 'options.mode', quoted(mode)));
    assertInteger('options.updateEvery', updateEvery, 1);
    assertInteger('options.endStep', endStep, 0);
    assertInRange('options.dropFraction', dropFraction, 0, 1);
    assertInteger('options.seed', seed, 0, 2 ** 32 - 1);
    this.options = { mode, sparsity, distribution, updateEvery, endStep, dropFraction, seed };
    this.targets = selectTargets(model, options);
    this.sparsities = layerSparsities(this.targets, sparsity, distribution, 'options.sparsity');
    this.rng = new Random(seed);
    const overrides = Object.fromEntries(this.targets.map((t, i) => [t.param.name, this.sparsities[i]]));
    randomPruning({ seed }).prune(this.targets, 0, { overrides });
    this.hooks = {
      beforeBatch: ({ step }) => {
        // Masks lifted by a step that never reached afterBackward (driven outside train()) come back first.
        this.restoreMasks();
        this.pending = null;
        // RigL needs the dense gradient: run this batch's backward unmasked (pruned weights are zero, so the forward is unchanged).
        if (this.isUpdate(step) && this.options.mode === 'rigl') {
          this.stashed = this.targets.map((t) => t.param.mask!);
          for (const t of this.targets) t.param.setMask(null);
        }
      },
      afterBackward: ({ step }) => {
        if (!this.isUpdate(step)) return;
        // The grow scores are kept; the optimizer then steps under the old masks.
        const growScores = this.options.mode === 'rigl' ? this.targets.map((t) => Float32Array.from(t.param.grad.data, Math.abs)) : null;
        const lifted = this.stashed !== null;
        this.restoreMasks();
        if (lifted) for (const t of this.targets) applyMask(t.param.grad.data, t.param.mask!);
        this.pending = { step, growScores };
      },
      afterBatch: ({ step }) => {
        if (this.pending?.step === step) this.update(step, this.pending.growScores);
        this.pending = null;
      },
      // A batch that failed must not leave the model without its masks, nor move them on the next batch.
      afterError: () => {
        this.restoreMasks();
        this.pending = null;
      },
    };
  }

  private restoreMasks(): void {
    if (this.stashed === null) return;
    this.targets.forEach((t, i) => t.param.setMask(this.stashed![i]));
    this.stashed = null;
  }

  private isUpdate(step: number): boolean {
    return step > 0 && step % this.options.updateEvery === 0 && step < this.options.endStep;
  }

  /** The drop fraction at a step: constant for SET, cosine-decayed for RigL. */
  dropFractionAt(step: number): number {
    const { mode, dropFraction, endStep } = this.options;
    return mode === 'set' ? dropFraction : (dropFraction / 2) * (1 + Math.cos((Math.PI * Math.min(step, endStep)) / endStep));
  }

  private update(step: number, growScores: Float32Array[] | null): void {
    const fraction = this.dropFractionAt(step);
    let moved = 0;
    this.targets.forEach((t, i) => (moved += this.moveLayer(t, fraction, growScores?.[i] ?? null)));
    this.updates.push({ step, moved });
  }

  private moveLayer(t: Target, fraction: number, gradient: Float32Array | null): number {
    const w = t.param.value.data, n = w.length, mask = t.param.mask!;
    let active = 0;
    for (let i = 0; i < n; i++) active += mask[i] ? 1 : 0;
    const count = Math.round(fraction * active);
    if (count === 0 || active === n) return 0;
    // Drop: the `count` active weights of smallest |w| (inactive ones rank below every active one).
    const dropScores = new Float32Array(n);
    for (let i = 0; i < n; i++) dropScores[i] = mask[i] ? Math.max(Math.abs(w[i]), 2 ** -149) : 0;
    const afterDrop = globalMagnitudeThreshold([dropScores], n - active + count).masks[0];
    // Grow: the `count` best inactive candidates (active ones rank above every candidate, so they are never chosen to drop here).
    const growScores = new Float32Array(n);
    let candidates = 0;
    for (let i = 0; i < n; i++) {
      if (afterDrop[i]) growScores[i] = 3.4e38;
      else {
        candidates++;
        const s = gradient ? gradient[i] : 1 - this.rng.next();
        growScores[i] = Math.min(Math.max(s, 2 ** -149), 3e38);
      }
    }
    const grown = globalMagnitudeThreshold([growScores], candidates - count).masks[0];
    const next = new Uint8Array(n);
    let changed = 0;
    for (let i = 0; i < n; i++) {
      next[i] = afterDrop[i] | grown[i];
      if (next[i] && !mask[i]) {
        changed++;
        w[i] = 0; // regrown connections start at zero
      }
    }
    t.param.setMask(next);
    return changed;
  }
}
