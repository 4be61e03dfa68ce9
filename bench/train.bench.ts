/**
 * Training throughput (samples/s at batch 128, one epoch of the embedded
 * MNIST after a warm-up epoch) for LeNet-300-100 and LeNet-5, and inference
 * latency (batch 1) and throughput (batch 256) for LeNet-300-100.
 */
import { SGD, Tensor, lenet300100, lenet5, loadMnist, train } from '../lib';
import { Row, interleaved, printTable, writeResults } from './harness';

const { train: data } = loadMnist();
const training: Row[] = [];
for (const [name, build] of [['LeNet-300-100', lenet300100], ['LeNet-5', lenet5]] as const) {
  const model = build({ seed: 1 });
  const optimizer = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const subset = name === 'LeNet-5' ? { ...data, x: data.x.reshape(data.x.shape), y: data.y } : data;
  train(model, subset, { optimizer, epochs: 1, batchSize: 128 }); // warm-up
  const runs = [0, 1, 2].map(() => train(model, subset, { optimizer, epochs: 1, batchSize: 128 })[0].samplesPerSecond);
  runs.sort((a, b) => a - b);
  training.push({ model: name, 'batch': 128, 'samples/s (median of 3 epochs)': runs[1] });
}

const model = lenet300100({ seed: 1 });
const one = Tensor.zeros([1, 784]), many = Tensor.zeros([256, 784]);
for (let i = 0; i < many.size; i++) many.data[i] = Math.random();
one.data.set(many.data.subarray(0, 784));
const t = interleaved({ 'batch 1': () => model.logits(one), 'batch 256': () => model.logits(many) }, { rounds: 41, sampleSeconds: 0.005 });
const inference: Row[] = [
  { model: 'LeNet-300-100 (dense)', batch: 1, 'µs per call': t['batch 1'].median * 1e6, 'samples/s': 1 / t['batch 1'].median },
  { model: 'LeNet-300-100 (dense)', batch: 256, 'µs per call': t['batch 256'].median * 1e6, 'samples/s': 256 / t['batch 256'].median },
];
printTable('Training throughput (embedded MNIST, SGD with momentum)', training);
printTable('Inference (logits)', inference);
writeResults('train', { training, inference });
