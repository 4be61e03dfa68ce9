/**
 * The pruning-method contract and the engine most methods share: a method
 * scores units (single weights, blocks, neurons or filters; higher = more
 * important), and the engine prunes exactly the requested number of
 * lowest-scoring units per layer or globally, through the native exact
 * selection (the tie rule of kernels/threshold: lowest (layer, index) first).
 *
 * Pruning never revives a weight: units already pruned score lowest, and the
 * new mask is combined with the old one. `amount` is the sparsity the step
 * prunes to (a fraction of the targets' units, cumulative), or an integer
 * count, as torch.nn.utils.prune interprets it.
 */
import { ArgumentRangeError, NonFiniteError } from '../errors';
import { countZeros, maskAnd } from '../kernels/mask';
import { globalMagnitudeThreshold, pruneCount } from '../kernels/threshold';
import { assertFunction, assertObject, assertOptionalFunction, expected, optionsObject, quoted } from '../validate';
import { assertFiniteWeights, assertMethod } from './checks';
import {
  PruneSource, SCOPE_OPTIONS, ScopeOptions, Target, assertAmount, assertTargets, checkOverrides, overrideFor, selectTargets,
} from './targets';

export interface PruningMethod {
  readonly name: string;
  /** Sets the targets' masks so that `amount` of each group of units is pruned. */
  prune(targets: Target[], amount: number, options?: ScopeOptions): void;
  /** Sees the current gradients after each backward pass while a Pruner drives the method. */
  observe?(targets: Target[]): void;
}

/** How a method's units map onto a weight (absent: one unit per weight). */
export interface UnitLayout {
  count(t: Target): number;
  /** 1 where the unit still has a kept weight. */
  live(t: Target): Uint8Array;
  /** The weight mask that keeps exactly the kept units' weights. */
  expand(t: Target, unitMask: Uint8Array): Uint8Array;
}

export interface Scorer {
  readonly name: string;
  /** One finite, non-negative score per unit (magnitudes are taken). May return a view of the weights. */
  scores(t: Target): Float32Array;
  readonly units?: UnitLayout;
  /** True when scores are exactly 0 wherever a weight is pruned (lets the engine skip a copy). */
  readonly zeroWherePruned?: boolean;
  observe?(targets: Target[]): void;
  /** Called after each pruning step (e.g. to clear accumulated statistics). */
  reset?(): void;
}

/** The smallest positive float32: a live unit scoring 0 still ranks above every pruned one. */
const LIVE_FLOOR = 2 ** -149;

/** Scores with pruned units forced to 0 and live zeros lifted (a copy). */
function rankable(raw: Float32Array, live: Uint8Array): Float32Array {
  const out = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = live[i] ? Math.max(Math.abs(raw[i]), LIVE_FLOOR) : 0;
  return out;
}

function select(scorer: Scorer, group: Target[], scores: Float32Array[], amount: number): Uint8Array[] {
  try {
    return globalMagnitudeThreshold(scores, amount).masks;
  } catch (e) {
    if (e instanceof NonFiniteError) {
      const message = e.message.replace(/tensors\[(\d+)\]/, (_, i) => `the ${scorer.name} scores of ${group[Number(i)].param.name}`);
      throw new NonFiniteError(message);
    }
    throw e;
  }
}

/**
 * New weight masks for a group, combined with the old ones. Fast path (no
 * copy): scores that are already 0 exactly where pruned (magnitude) are
 * ranked as they are; if a live weight that is exactly 0 made the count come
 * out wrong, the group is ranked again with explicit live/pruned scores.
 */
function groupMasks(scorer: Scorer, group: Target[], amount: number): Uint8Array[] {
  const layout = scorer.units;
  const masked = group.some((t) => t.param.mask !== null);
  const raw = group.map((t) => scorer.scores(t));
  const combine = (unitMasks: Uint8Array[]) =>
    unitMasks.map((m, i) => {
      const mask = layout ? layout.expand(group[i], m) : m;
      const old = group[i].param.mask;
      const zeros = old ? maskAnd(mask, old) : countZeros(mask);
      return { mask, zeros };
    });
  if (!layout && (!masked || scorer.zeroWherePruned)) {
    const out = combine(select(scorer, group, raw, amount));
    if (!masked) return out.map((o) => o.mask);
    const total = group.reduce((s, t) => s + t.param.size, 0);
    const alreadyPruned = group.reduce((s, t) => s + (t.param.mask ? countZeros(t.param.mask) : 0), 0);
    const wanted = Math.max(pruneCount(amount, total), alreadyPruned);
    if (out.reduce((s, o) => s + o.zeros, 0) === wanted) return out.map((o) => o.mask);
  }
  const live = group.map((t) => (layout ? layout.live(t) : t.param.mask ?? new Uint8Array(t.param.size).fill(1)));
  return combine(select(scorer, group, raw.map((r, i) => rankable(r, live[i])), amount)).map((o) => o.mask);
}

/** Any scope but these would silently prune per layer. */
export function assertScope(scope: unknown): void {
  if (scope !== undefined && scope !== 'layer' && scope !== 'global') {
    throw new ArgumentRangeError(expected("'layer' or 'global'", 'options.scope', quoted(scope)));
  }
}

/** Groups targets for one step: overridden layers alone, the rest per layer or together. */
export function pruningGroups(targets: Target[], amount: number, options: ScopeOptions = {}): { group: Target[]; amount: number }[] {
  assertTargets('targets', targets);
  assertAmount('amount', amount);
  options = optionsObject('options', options);
  assertScope(options.scope);
  checkOverrides(targets, options.overrides);
  const groups: { group: Target[]; amount: number }[] = [];
  const shared: Target[] = [];
  for (const t of targets) {
    const o = overrideFor(t, options.overrides);
    if (o !== undefined) groups.push({ group: [t], amount: o });
    else shared.push(t);
  }
  if (options.scope === 'global') {
    if (shared.length) groups.push({ group: shared, amount });
  } else {
    for (const t of shared) groups.push({ group: [t], amount });
  }
  return groups;
}

/** A PruningMethod from a Scorer, through the shared exact-count engine. */
export function scoreMethod(scorer: Scorer): PruningMethod {
  assertObject('scorer', scorer, 'a scorer (an object with a scores function)');
  assertFunction('scorer.scores', scorer.scores);
  assertOptionalFunction('scorer.observe', scorer.observe);
  assertOptionalFunction('scorer.reset', scorer.reset);
  return {
    name: scorer.name,
    prune(targets, amount, options = {}) {
      // Every group's masks first, then set: a group that fails (NaN scores, a count too large for it) leaves none pruned.
      const groups = pruningGroups(targets, amount, options);
      assertFiniteWeights(targets);
      const masks = groups.map(({ group, amount: a }) => groupMasks(scorer, group, a));
      groups.forEach(({ group }, g) => group.forEach((t, i) => t.param.setMask(masks[g][i])));
      scorer.reset?.();
    },
    observe: scorer.observe ? (targets) => scorer.observe!(targets) : undefined,
  };
}

export interface PruneReport {
  method: string;
  /** Fraction of the targets' weights pruned after the step. */
  sparsity: number;
  layers: { name: string; size: number; pruned: number; sparsity: number }[];
}

/** Prunes a model's (or parameters') weights with a method, now. */
export function prune(source: PruneSource, method: PruningMethod, amount: number, options: ScopeOptions = {}): PruneReport {
  assertMethod('method', method);
  optionsObject('options', options, SCOPE_OPTIONS);
  const targets = selectTargets(source, options);
  method.prune(targets, amount, options);
  return report(method.name, targets);
}

export function report(method: string, targets: Target[]): PruneReport {
  const layers = targets.map((t) => {
    const pruned = t.param.mask ? countZeros(t.param.mask) : 0;
    return { name: t.param.name, size: t.param.size, pruned, sparsity: pruned / t.param.size };
  });
  const total = layers.reduce((s, l) => s + l.size, 0);
  return { method, sparsity: total ? layers.reduce((s, l) => s + l.pruned, 0) / total : 0, layers };
}
