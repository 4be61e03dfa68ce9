/**
 * Training throughput (samples/s at batch 128: the median of 5 epochs of the
 * embedded MNIST in one train() call, after 3 warm-up epochs; an epoch is
 * only 63 steps, and the first train() calls run measurably slower while the
 * JavaScript engine settles) for LeNet-300-100 and LeNet-5, and inference
 * latency (batch 1) and throughput (batch 256) for LeNet-300-100, through the
 * layers (model.logits) and through the compiled plan a server runs
 * (InferencePlan, what loadModel serves), interleaved.
 */
import { InferencePlan, SGD, Tensor, lenet300100, lenet5, loadMnist, train } from '../lib';
import { Row, interleaved, printTable, writeResults } from './harness';

const { train: data } = loadMnist();
const training: Row[] = [];
for (const [name, build] of [['LeNet-300-100', lenet300100], ['LeNet-5', lenet5]] as const) {
  const model = build({ seed: 1 });
  const optimizer = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const subset = name === 'LeNet-5' ? { ...data, x: data.x.reshape(data.x.shape), y: data.y } : data;
  train(model, subset, { optimizer, epochs: 3, batchSize: 128 }); // warm-up
  const runs = train(model, subset, { optimizer, epochs: 5, batchSize: 128 }).map((e) => e.samplesPerSecond);
  runs.sort((a, b) => a - b);
  training.push({ model: name, 'batch': 128, 'samples/s (median of 5 epochs)': runs[2], 'slowest epoch': runs[0] });
}

const model = lenet300100({ seed: 1 });
const one = Tensor.zeros([1, 784]), many = Tensor.zeros([256, 784]);
for (let i = 0; i < many.size; i++) many.data[i] = Math.random();
one.data.set(many.data.subarray(0, 784));
const plan = InferencePlan.compile(model);
const t = interleaved({
  'layers 1': () => model.logits(one), 'layers 256': () => model.logits(many),
  'plan 1': () => plan.logits(one), 'plan 256': () => plan.logits(many),
}, { rounds: 41, sampleSeconds: 0.005 });
const inference: Row[] = [];
for (const [path, key] of [['layers', 'layers'], ['compiled plan', 'plan']] as const) {
  for (const batch of [1, 256]) {
    const median = t[`${key} ${batch}`].median;
    inference.push({ model: `LeNet-300-100 (dense, ${path})`, batch, 'µs per call': median * 1e6, 'samples/s': batch / median });
  }
}
printTable('Training throughput (embedded MNIST, SGD with momentum)', training);
printTable('Inference (logits)', inference);
writeResults('train', { training, inference });
