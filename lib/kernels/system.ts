/** What the addon runs on, and its thread count. */
import { assertInteger } from '../validate';
import { forcedOpenBlasCoreType, native } from '../native';

export interface BackendInfo {
  /** 'openblas' when the addon was built against OpenBLAS, else 'builtin'. */
  backend: 'openblas' | 'builtin';
  /** The GEMM kernel set in use: OpenBLAS's core name (e.g. SkylakeX), or builtin-<simd>. */
  kernelSet: string;
  /** True when prunekit chose OpenBLAS's kernel set for this CPU (see README). */
  kernelSetForced: boolean;
  blasConfig: string;
  /** Vector width of prunekit's own kernels (sparse, selection, masking). */
  simd: 'avx512' | 'avx2' | 'generic';
  /**
   * True on AVX-512 CPUs, where prunekit's own AVX-512 GEMM runs the products
   * it is faster on: every product without OpenBLAS; beside OpenBLAS, those of
   * 2^21 to 2^29 multiply-adds with every side at least 64 (the training shapes).
   */
  tiledGemm: boolean;
  /** Threads the kernels use (prunekit drives single-threaded BLAS calls from its own pool). */
  threads: number;
  hardwareThreads: number;
  /** The addon's version (the package version it was built from). */
  version: string;
}

export function info(): BackendInfo {
  const raw = native.info();
  return { ...raw, kernelSetForced: forcedOpenBlasCoreType() !== null };
}

/** Sets how many threads the kernels use (1..64). Results are deterministic for a given count. */
export function setThreads(threads: number): void {
  assertInteger('threads', threads, 1, 64);
  native.setThreads(threads);
}
