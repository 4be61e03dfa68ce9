// usage: node bench.js INTRA_OP_THREADS
const ort = require('onnxruntime-node');
const fs = require('fs');
const path = require('path');
function loadIdxGz(p) { const b = require('zlib').gunzipSync(fs.readFileSync(p)); return b; }
(async () => {
  const nt = parseInt(process.argv[2] || '1');
  const sess = await ort.InferenceSession.create(path.join(__dirname, '..', 'lenet300.onnx'),
    { intraOpNumThreads: nt, interOpNumThreads: 1, executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
  const img = loadIdxGz('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz');
  const lab = loadIdxGz('/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz');
  const N = 10000, X = new Float32Array(N * 784);
  for (let i = 0; i < N * 784; i++) X[i] = img[16 + i] / 255;
  // accuracy sanity check (batch 10000)
  const all = await sess.run({ x: new ort.Tensor('float32', X, [N, 784]) });
  let ok = 0; const L = all.logits.data;
  for (let i = 0; i < N; i++) { let b = 0; for (let j = 1; j < 10; j++) if (L[i*10+j] > L[i*10+b]) b = j; if (b === lab[8 + i]) ok++; }
  const t1 = new ort.Tensor('float32', X.slice(0, 784), [1, 784]);
  for (let i = 0; i < 2000; i++) await sess.run({ x: t1 });
  const lat = [];
  for (let i = 0; i < 20000; i++) { const t = process.hrtime.bigint(); await sess.run({ x: t1 }); lat.push(Number(process.hrtime.bigint() - t)); }
  lat.sort((a, b) => a - b);
  const us = q => (lat[Math.floor(q * lat.length)] / 1000).toFixed(1);
  console.log(`ort ${require('onnxruntime-node/package.json').version} intraOp=${nt} acc=${(ok/N*100).toFixed(2)}% batch1: median ${us(0.5)} us p10 ${us(0.1)} p90 ${us(0.9)} (n=20000)`);
  const t256 = new ort.Tensor('float32', X.slice(0, 256 * 784), [256, 784]);
  for (let i = 0; i < 50; i++) await sess.run({ x: t256 });
  const rates = [];
  for (let r = 0; r < 7; r++) { const n = 200, t = process.hrtime.bigint(); for (let i = 0; i < n; i++) await sess.run({ x: t256 }); rates.push(256 * n / (Number(process.hrtime.bigint() - t) / 1e9)); }
  rates.sort((a, b) => a - b);
  console.log(`ort intraOp=${nt} batch256: median ${rates[3].toFixed(0)} samples/s (7 reps x 200; min ${rates[0].toFixed(0)} max ${rates[6].toFixed(0)})`);
})();
