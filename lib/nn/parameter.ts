/**
 * A parameter: name, value, gradient, optional mask. Pruning and compression
 * work on parameters only, so they apply to any network (see DESIGN.md).
 * Pruned means mask 0 and value exactly 0.
 */
import { applyMask } from '../kernels/mask';
import { Tensor } from '../tensor';
import { assertLength, assertUint8Array } from '../validate';

export type ParameterRole = 'weight' | 'bias';

export class Parameter {
  private gradValue: Tensor | null = null;
  private maskValue: Uint8Array | null = null;
  /** Bumped whenever the value changes, so layers can refresh derived state (e.g. CSR copies). */
  version = 0;
  /** Bumped whenever the mask changes. */
  maskVersion = 0;

  constructor(
    readonly name: string,
    readonly value: Tensor,
    readonly role: ParameterRole,
  ) {}

  /** The gradient, allocated when first asked for: a model that only serves never holds one. */
  get grad(): Tensor {
    return (this.gradValue ??= Tensor.zeros(this.value.shape));
  }

  get shape(): readonly number[] {
    return this.value.shape;
  }

  get size(): number {
    return this.value.size;
  }

  get mask(): Uint8Array | null {
    return this.maskValue;
  }

  /**
   * Sets (or clears, with null) the mask and zeroes the pruned values. The
   * mask is copied: the caller's array changing later (or being a view of a
   * whole file) cannot leave a pruned weight non-zero or pin that memory.
   */
  setMask(mask: Uint8Array | null): void {
    let own: Uint8Array | null = null;
    if (mask !== null) {
      assertUint8Array(`mask of ${this.name}`, mask);
      assertLength(`mask of ${this.name}`, mask.length, this.size);
      own = new Uint8Array(mask);
      applyMask(this.value.data, own);
    }
    this.maskValue = own;
    this.version++;
    this.maskVersion++;
  }

  /** Entries that are not exactly zero. */
  nonzero(): number {
    let count = 0;
    const d = this.value.data;
    for (let i = 0; i < d.length; i++) if (d[i] !== 0) count++;
    return count;
  }

  /** Marks the value as changed in place (after an optimizer step or a load). */
  touch(): void {
    this.version++;
  }
}
