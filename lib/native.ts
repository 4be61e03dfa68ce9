/**
 * The only module that touches the native addon: chooses OpenBLAS's kernel
 * set before the library loads, loads the addon with `bindings`, registers
 * the error classes, and declares the typed native surface. Users never see
 * this module; they use the validated wrappers in kernels/.
 */
import { readFileSync } from 'node:fs';
import {
  AddonLoadError,
  ArgumentRangeError,
  ArgumentTypeError,
  PrunekitError,
  ShapeError,
} from './errors';

/** What the addon reports of itself (info() adds whether prunekit chose the kernel set). */
export interface NativeInfo {
  /** 'openblas' when the addon was built against OpenBLAS, else 'builtin'. */
  backend: 'openblas' | 'builtin';
  /** The GEMM kernel set in use: OpenBLAS's core name (e.g. SkylakeX), or builtin-<simd>. */
  kernelSet: string;
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

export interface CsrArrays {
  rowPtr: Int32Array;
  colIdx: Int32Array;
  values: Float32Array;
}

/** Opaque CSR storage owned by the addon; its structure cannot be edited from JavaScript. */
export interface NativeSparseMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly nnz: number;
  toArrays(): CsrArrays;
  updateValues(weights: Float32Array): void;
}

export type NativePlanStep =
  | { op: 'dense'; weights: Float32Array; bias: Float32Array; mask: Uint8Array | null; rows: number; cols: number; sparseMaxBatch: number; codebook?: boolean }
  | { op: 'activation'; kind: number }
  | { op: 'conv2d'; weights: Float32Array; bias: Float32Array; dims: number[] }
  | { op: 'maxpool2d'; dims: number[] };

/** A network's forward pass as one native call (native/kernels/plan.h); it owns copies of its weights. */
export interface NativePlan {
  readonly inputSize: number;
  readonly outputSize: number;
  /** Bytes of weights, biases and sparse layouts the plan holds. */
  readonly residentBytes: number;
  run(x: Float32Array, batch: number, out: Float32Array): void;
  runAsync(x: Float32Array, batch: number): Promise<Float32Array>;
}

export interface NativeThreshold {
  threshold: number;
  pruned: number;
  nanTensor: number;
  nanIndex: number;
}

export interface NativePercentile {
  value: number;
  nanIndex: number;
}

type Gemm<R> = (
  c: Float32Array, a: Float32Array, b: Float32Array, transA: boolean, transB: boolean,
  m: number, n: number, k: number, alpha: number, beta: number,
) => R;
type SpmmXWt<R> = (y: Float32Array, x: Float32Array, bias: Float32Array | null, w: NativeSparseMatrix, batch: number) => R;
type SpmmXW<R> = (y: Float32Array, x: Float32Array, w: NativeSparseMatrix, batch: number) => R;
type Sddmm<R> = (dw: Float32Array, dy: Float32Array, x: Float32Array, w: NativeSparseMatrix, batch: number) => R;
type Threshold<R> = (tensors: Float32Array[], masks: (Uint8Array | null)[] | null, k: number) => R;

export interface NativeAddon {
  setErrorClasses(classes: Record<string, unknown>): void;
  info(): NativeInfo;
  setThreads(threads: number): void;
  nop(): void;
  measurePeak(threads: number, seconds: number): number;
  gemm: Gemm<void>;
  gemmAsync: Gemm<Promise<void>>;
  csrFromDense(weights: Float32Array, mask: Uint8Array | null, rows: number, cols: number): NativeSparseMatrix;
  csrFromArrays(rowPtr: Int32Array, colIdx: Int32Array, values: Float32Array, rows: number, cols: number): NativeSparseMatrix;
  spmmXWt: SpmmXWt<void>;
  spmmXWtAsync: SpmmXWt<Promise<void>>;
  spmmXW: SpmmXW<void>;
  spmmXWAsync: SpmmXW<Promise<void>>;
  sddmm: Sddmm<void>;
  sddmmAsync: Sddmm<Promise<void>>;
  applyMask(weights: Float32Array, mask: Uint8Array): void;
  countZeros(mask: Uint8Array): number;
  maskAnd(mask: Uint8Array, other: Uint8Array): number;
  sgdMasked(
    weights: Float32Array, velocity: Float32Array | null, grad: Float32Array, mask: Uint8Array | null,
    lr: number, momentum: number, weightDecay: number, nesterov: boolean,
  ): void;
  magnitudeThreshold: Threshold<NativeThreshold>;
  magnitudeThresholdAsync: Threshold<Promise<NativeThreshold>>;
  percentile(x: Float32Array, q: number): NativePercentile;
  percentileAsync(x: Float32Array, q: number): Promise<NativePercentile>;
  adamMasked(
    weights: Float32Array, firstMoment: Float32Array, secondMoment: Float32Array, grad: Float32Array, mask: Uint8Array | null,
    lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, decoupled: boolean,
    correction1: number, correction2: number,
  ): void;
  sumSquares(x: Float32Array): number;
  scale(x: Float32Array, s: number): void;
  biasAdd(y: Float32Array, bias: Float32Array, rows: number, cols: number): void;
  biasGrad(db: Float32Array, dy: Float32Array, rows: number, cols: number): void;
  /** kind: 0 relu, 1 tanh, 2 sigmoid */
  activation(y: Float32Array, x: Float32Array, kind: number): void;
  activationGrad(dx: Float32Array, dy: Float32Array, y: Float32Array, kind: number): void;
  /** kind: 0 l2, 1 l1, 2 grid (step); returns the unscaled penalty, adds scale × its derivative to grad */
  penalty(grad: Float32Array | null, w: Float32Array, kind: number, scale: number, step: number): number;
  penaltyCodebook(grad: Float32Array | null, w: Float32Array, scale: number, codebook: Float64Array): number;
  groupLasso(
    grad: Float32Array | null, w: Float32Array, rows: number, channels: number, taps: number, byChannel: boolean, scale: number,
  ): number;
  dropout(y: Float32Array, keep: Uint8Array, x: Float32Array, p: number, seed: number, offset: number): void;
  dropoutGrad(dx: Float32Array, dy: Float32Array, keep: Uint8Array, p: number): void;
  softmaxCrossEntropy(
    dlogits: Float32Array | null, logits: Float32Array, labels: Int32Array, batch: number, classes: number,
  ): { loss: number; correct: number };
  /** dims: batch, channels, height, width, outChannels, kernelH, kernelW, stride, padding */
  conv2dForward(y: Float32Array, x: Float32Array, w: Float32Array, bias: Float32Array | null, ...dims: number[]): void;
  conv2dBackward(
    dw: Float32Array, db: Float32Array, dx: Float32Array | null, dy: Float32Array, x: Float32Array, w: Float32Array,
    ...dims: number[]
  ): void;
  /** dims: batch, channels, height, width, size, stride */
  maxpool2dForward(y: Float32Array, argmax: Int32Array, x: Float32Array, ...dims: number[]): void;
  maxpool2dBackward(dx: Float32Array, dy: Float32Array, argmax: Int32Array, ...dims: number[]): void;
  /** Returns the bits written. */
  huffmanEncode(symbols: Uint16Array, codes: Uint16Array, lengths: Uint8Array, out: Uint8Array): number;
  /** Returns the bits used, -1 when the stream is truncated, -2 on a bit pattern that is no code. */
  huffmanDecode(bytes: Uint8Array, table: Uint32Array, tableBits: number, out: Uint16Array): number;
  assignNearest(values: Float32Array, mask: Uint8Array | null, centroids: Float32Array, out: Int32Array): void;
  codebookGather(codebook: Float32Array, indices: Int32Array, out: Float32Array): void;
  /** dst row r = src row rows[r], rows of `width` floats. */
  gatherRows(dst: Float32Array, src: Float32Array, width: number, rows: Int32Array): void;
  codebookScatterAdd(grad: Float32Array, indices: Int32Array, sums: Float32Array): void;
  createPlan(steps: NativePlanStep[]): NativePlan;
}

/**
 * OpenBLAS picks its kernels when it loads. Debian's 0.3.21 does not know
 * recent AMD CPUs with AVX-512 (Zen 4/5) and falls back to its AVX2 kernels,
 * about half the speed; its SkylakeX kernels run correctly there. Intel CPUs
 * with AVX-512 are recognised already. A user's own OPENBLAS_CORETYPE wins.
 * Returns the core type forced, or null.
 */
export function chooseOpenBlasCoreType(cpuinfo: string, env: NodeJS.ProcessEnv): string | null {
  if (env.OPENBLAS_CORETYPE) return null;
  const flags = new Set((/^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? '').split(/\s+/));
  const vendor = /^vendor_id\s*:\s*(\S+)/m.exec(cpuinfo)?.[1] ?? '';
  const avx512 = ['avx512f', 'avx512bw', 'avx512vl', 'avx512dq', 'avx512cd'].every((f) => flags.has(f));
  return avx512 && vendor !== 'GenuineIntel' ? 'SkylakeX' : null;
}

let forcedCoreType: string | null = null;

function load(): NativeAddon {
  if (process.platform === 'linux' && process.arch === 'x64') {
    try {
      forcedCoreType = chooseOpenBlasCoreType(readFileSync('/proc/cpuinfo', 'utf8'), process.env);
      if (forcedCoreType) process.env.OPENBLAS_CORETYPE = forcedCoreType;
    } catch {
      // No /proc (sandboxes): OpenBLAS detects the CPU itself.
    }
  }
  let addon: NativeAddon;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    addon = require('bindings')('prunekit') as NativeAddon;
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    // bindings lists every path it tried after its first line; what they share is that no build exists.
    const reason = message.startsWith('Could not locate the bindings file')
      ? 'no compiled addon: build/Release/prunekit.node does not exist (was the install script skipped, as with --ignore-scripts?)'
      : message.split('\n')[0];
    throw new AddonLoadError(
      `prunekit's native addon could not be loaded (${reason}). Possible fixes: ` +
        'run `npm rebuild prunekit` (needs a C++17 compiler and cmake, or python3 for node-gyp); ' +
        'if libopenblas is missing at run time, install it with `apt-get install libopenblas-dev` and rebuild; ' +
        'use Node.js >= 20 on the platform the addon was built for.',
    );
  }
  addon.setErrorClasses({ PrunekitError, ArgumentTypeError, ArgumentRangeError, ShapeError });
  return addon;
}

export const native: NativeAddon = load();

/** The OpenBLAS core type prunekit forced at load, or null when OpenBLAS chose. */
export function forcedOpenBlasCoreType(): string | null {
  return forcedCoreType;
}

/**
 * Async native errors are created on the event loop, far from the caller;
 * this re-anchors their stack at the call site so users see their own code.
 */
export function atCallSite<T>(promise: Promise<T>): Promise<T> {
  const site = new Error();
  return promise.catch((error: unknown) => {
    if (error instanceof Error && site.stack) {
      error.stack = `${error.name}: ${error.message}\n${site.stack.split('\n').slice(2).join('\n')}`;
    }
    throw error;
  });
}
