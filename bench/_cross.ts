import { Tensor, SparseMatrix, sparseLinear, sparseMatmul, sparseWeightGrad, gemm, biasAdd } from '../lib/index';
import { interleaved } from './harness';
let st = 7; const rnd = () => ((st = Math.imul(st ^ (st >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32;
const shapes = JSON.parse(process.argv[4] ?? "[[300,784],[100,300],[10,100]]");
const sps = (process.argv[3] ?? "0.5,0.6,0.7,0.8").split(",").map(Number);
const batches = (process.argv[2] ?? '32,128,256').split(',').map(Number);
for (const [rows, cols] of shapes) for (const B of batches) {
  const line: string[] = [];
  for (const sp of sps) {
    const mask = Uint8Array.from({ length: rows * cols }, () => (rnd() >= sp ? 1 : 0));
    const W = new Tensor(Float32Array.from(mask, (m) => (m ? rnd() - 0.5 : 0)), [rows, cols]);
    const S = SparseMatrix.fromDense(W, mask);
    const x = new Tensor(Float32Array.from({ length: B * cols }, () => rnd()), [B, cols]);
    const dy = new Tensor(Float32Array.from({ length: B * rows }, () => rnd()), [B, rows]);
    const y = new Tensor(new Float32Array(B * rows), [B, rows]);
    const dx = new Tensor(new Float32Array(B * cols), [B, cols]);
    const dw = new Tensor(new Float32Array(rows * cols), [rows, cols]);
    const bias = new Float32Array(rows);
    const t = interleaved({
      sf: () => sparseLinear(x, S, bias, y),
      df: () => { gemm(x, W, { transB: true, out: y }); biasAdd(y, bias); },
      sb: () => { sparseWeightGrad(dy, x, S, dw); sparseMatmul(dy, S, dx); },
      db: () => { gemm(dy, x, { transA: true, out: dw }); gemm(dy, W, { out: dx }); },
    }, { rounds: 9, sampleSeconds: 0.01 });
    line.push(`${sp}: fwd ${(t.df.median / t.sf.median).toFixed(2)} bwd ${(t.db.median / t.sb.median).toFixed(2)}`);
  }
  console.log(`${rows}x${cols} b${B}  ` + line.join(' | '));
}
