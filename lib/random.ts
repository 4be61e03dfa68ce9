/**
 * Seeded random numbers. Every random choice in prunekit takes one of these,
 * so the same seed gives the same result.
 */
import { assertInteger } from './validate';

export class Random {
  private state: number;
  private spare: number | null = null;

  /** seed: an integer in [0, 2^32). */
  constructor(seed: number) {
    assertInteger('seed', seed, 0, 2 ** 32 - 1);
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1) (mulberry32). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n), n a positive integer. */
  int(n: number): number {
    assertInteger('n', n, 1, 2 ** 32);
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box–Muller, caching the second value). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** A uniformly random permutation of [0, n) (Fisher–Yates). */
  permutation(n: number): Int32Array {
    assertInteger('n', n, 0, 2 ** 31 - 1);
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
