/**
 * Dense (fully connected): y = x·Wᵀ + b with W [out, in].
 * When W carries a mask sparse enough, the forward pass runs through the CSR
 * kernel, and from 90% sparsity at batches of 64 or more the backward pass
 * too. Where sparse starts to win was measured per kernel, batch and layer
 * size (bench/sparse, docs/KERNELS.md): the forward from 80% at every batch;
 * on AVX-512 CPUs from 70% at every batch, from 50% at batches up to 4, and
 * from 50% at every batch for layers of at most 8,192 weights, where a GEMM
 * call is mostly overhead. The backward kernels win later than the forward.
 */
import { ShapeError } from '../errors';
import { biasAdd, biasGrad } from '../kernels/elementwise';
import { info } from '../kernels/system';
import { gemm } from '../kernels/gemm';
import { applyMask, countZeros } from '../kernels/mask';
import { SparseMatrix, sparseLinear, sparseMatmul, sparseWeightGrad } from '../kernels/sparse';
import { Random } from '../random';
import { Tensor, assertTensor, reuse } from '../tensor';
import { assertInteger, expected, formatShape, optionsObject } from '../validate';
import { InitializerName, initialize } from './init';
import { Layer, LayerSpec, Mode, assertLayerWeights, assertOutputGradient, layerName } from './layer';
import { Parameter } from './parameter';

export const SPARSE_FORWARD_MIN_SPARSITY = 0.8;
const AVX512_FORWARD_MIN_SPARSITY = 0.7;
const AVX512_SMALL = { minSparsity: 0.5, maxBatch: 4, smallLayerWeights: 8192 } as const;
export const SPARSE_BACKWARD_MIN_SPARSITY = 0.9;
export const SPARSE_BACKWARD_MIN_BATCH = 64;

/**
 * The largest batch whose forward pass runs through the sparse kernel for a
 * weight of this sparsity and size (Infinity: every batch; 0: none).
 */
export function sparseKernelMaxBatchFor(sparsity: number, weights = Infinity): number {
  if (sparsity >= SPARSE_FORWARD_MIN_SPARSITY) return Infinity;
  if (!hasAvx512() || sparsity < AVX512_SMALL.minSparsity) return 0;
  if (sparsity >= AVX512_FORWARD_MIN_SPARSITY || weights <= AVX512_SMALL.smallLayerWeights) return Infinity;
  return AVX512_SMALL.maxBatch;
}

let avx512: boolean | undefined;
/** The CPU cannot change under a running process: asked of the addon once. */
function hasAvx512(): boolean {
  return (avx512 ??= info().simd === 'avx512');
}

export interface DenseOptions {
  init?: InitializerName;
  seed?: number;
  name?: string;
}

export class Dense implements Layer {
  readonly name: string;
  readonly weight: Parameter;
  readonly bias: Parameter;
  private input: Tensor | null = null;
  private outBuffer: Tensor | null = null;
  private inferBuffer: Tensor | null = null;
  private dxBuffer: Tensor | null = null;
  private sparse: SparseMatrix | null = null;
  private sparseMaxBatch = 0;
  private sparsity = 0;
  private forwardWasSparse = false;
  private sparseMaskVersion = -1;
  private sparseVersion = -1;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: DenseOptions = {},
  ) {
    assertInteger('inFeatures', inFeatures, 1);
    assertInteger('outFeatures', outFeatures, 1);
    assertLayerWeights('inFeatures × outFeatures', inFeatures * outFeatures);
    options = optionsObject('options', options, ['init', 'seed', 'name']);
    this.name = layerName(options.name, `dense_${inFeatures}_${outFeatures}`);
    this.weight = new Parameter(`${this.name}.weight`, Tensor.zeros([outFeatures, inFeatures]), 'weight');
    this.bias = new Parameter(`${this.name}.bias`, Tensor.zeros([outFeatures]), 'bias');
    initialize(this.weight.value, options.init ?? 'he', inFeatures, outFeatures, new Random(options.seed ?? 0));
  }

  /** Re-reads the mask's sparsity and batch limit after the mask changed (the CSR copy is rebuilt when next used). */
  private refreshSparsePattern(): void {
    const w = this.weight;
    const mask = w.mask;
    if (this.sparseMaskVersion === w.maskVersion) return;
    this.sparsity = mask === null ? 0 : countZeros(mask) / mask.length;
    this.sparseMaxBatch = mask === null ? 0 : sparseKernelMaxBatchFor(this.sparsity, mask.length);
    this.sparse = null;
    this.sparseMaskVersion = w.maskVersion;
  }

  /** The CSR copy of the masked weight, current, when a batch of this size runs through it; else null. */
  private sparseWeight(batch: number): SparseMatrix | null {
    this.refreshSparsePattern();
    const mask = this.weight.mask;
    if (mask === null || batch > this.sparseMaxBatch) return null;
    if (this.sparse === null) {
      this.sparse = SparseMatrix.fromDense(this.weight.value, mask);
    } else if (this.sparseVersion !== this.weight.version) {
      this.sparse.updateValues(this.weight.value);
    }
    this.sparseVersion = this.weight.version;
    return this.sparse;
  }

  /** The largest batch that runs through the sparse kernel (Infinity: every batch; 0: none). */
  get sparseKernelMaxBatch(): number {
    this.refreshSparsePattern();
    return this.sparseMaxBatch;
  }

  /** True when the forward pass runs through the sparse kernel at every batch size. */
  get usesSparseKernel(): boolean {
    return this.sparseKernelMaxBatch === Infinity;
  }

  /** True when a batch of this size runs through the sparse kernel. */
  sparseKernelAt(batch: number): boolean {
    const maxBatch = this.sparseKernelMaxBatch;
    return maxBatch > 0 && batch <= maxBatch;
  }

  /** True when training at this batch size back-propagates through the sparse kernels. */
  sparseBackwardAt(batch: number): boolean {
    return this.sparseKernelAt(batch) && this.sparsity >= SPARSE_BACKWARD_MIN_SPARSITY && batch >= SPARSE_BACKWARD_MIN_BATCH;
  }

  forward(x: Tensor, mode: Mode): Tensor {
    assertTensor(`input of ${this.name}`, x, 2);
    if (x.shape[1] !== this.inFeatures) {
      throw new ShapeError(expected(`shape [batch, ${this.inFeatures}]`, `input of ${this.name}`, `shape ${formatShape(x.shape)}`));
    }
    // Training and inference reuse one output buffer per batch shape; evaluation returns fresh tensors the caller may keep.
    const shape = [x.shape[0], this.outFeatures];
    const out = mode === 'train' ? (this.outBuffer = reuse(this.outBuffer, shape))
      : mode === 'infer' ? (this.inferBuffer = reuse(this.inferBuffer, shape)) : undefined;
    if (mode === 'train') this.input = x;
    const sparse = this.sparseWeight(x.shape[0]);
    if (mode === 'train') this.forwardWasSparse = sparse !== null;
    if (sparse) return sparseLinear(x, sparse, this.bias.value.data, out);
    const y = gemm(x, this.weight.value, { transB: true, out });
    biasAdd(y, this.bias.value.data);
    return y;
  }

  backward(dy: Tensor, needInputGrad = true): Tensor {
    const x = this.input;
    if (x === null) throw new ShapeError(`${this.name}: backward() called before a forward() in train mode`);
    assertOutputGradient(this.name, dy, [x.shape[0], this.outFeatures]);
    const sparse = this.forwardWasSparse && this.sparseBackwardAt(x.shape[0]) ? this.sparseWeight(x.shape[0]) : null;
    biasGrad(this.bias.grad.data, dy);
    if (sparse) {
      sparseWeightGrad(dy, x, sparse, this.weight.grad);
      return needInputGrad ? sparseMatmul(dy, sparse, this.inputGradBuffer(x)) : Tensor.zeros([0, this.inFeatures]);
    }
    gemm(dy, x, { transA: true, out: this.weight.grad });
    if (this.weight.mask) applyMask(this.weight.grad.data, this.weight.mask);
    return needInputGrad ? gemm(dy, this.weight.value, { out: this.inputGradBuffer(x) }) : Tensor.zeros([0, this.inFeatures]);
  }

  private inputGradBuffer(x: Tensor): Tensor {
    return (this.dxBuffer = reuse(this.dxBuffer, x.shape));
  }

  parameters(): Parameter[] {
    return [this.weight, this.bias];
  }

  spec(): LayerSpec {
    return { type: 'dense', name: this.name, in: this.inFeatures, out: this.outFeatures };
  }
}
