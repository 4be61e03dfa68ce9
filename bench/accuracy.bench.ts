/**
 * Test accuracy of the reference training recipes. Each recipe's learning
 * rate, schedule and epochs were chosen on a validation split held out from
 * the training data (see README); the test split is used only here, once.
 */
import { LrSchedule, SGD, lenet300100, lenet5, loadFashionMnist, loadMnist, train } from '../lib';
import { Row, printTable, writeResults } from './harness';

const recipes = [
  { data: 'mnist', arch: 'LeNet-300-100', build: lenet300100, lr: 0.1, epochs: 15, cosine: true },
  { data: 'mnist', arch: 'LeNet-5', build: lenet5, lr: 0.01, epochs: 4, cosine: false },
  { data: 'fashion', arch: 'LeNet-300-100', build: lenet300100, lr: 0.1, epochs: 10, cosine: true },
  { data: 'fashion', arch: 'LeNet-5', build: lenet5, lr: 0.02, epochs: 10, cosine: true },
];
const rows: Row[] = [];
for (const r of recipes) {
  const { train: data, test } = r.data === 'mnist' ? loadMnist() : loadFashionMnist();
  const model = r.build({ seed: 1 });
  const started = Date.now();
  train(model, data, {
    optimizer: new SGD(model.parameters(), { lr: r.lr, momentum: 0.9 }),
    epochs: r.epochs, batchSize: 128, seed: 1,
    schedule: r.cosine ? LrSchedule.cosine(r.lr, r.epochs) : undefined,
  });
  rows.push({
    dataset: `${r.data} (${data.y.length}/${test.y.length})`,
    model: r.arch,
    recipe: `SGD lr ${r.lr}${r.cosine ? ' cosine' : ''}, momentum 0.9, batch 128, ${r.epochs} epochs`,
    'test accuracy': model.evaluate(test).accuracy,
    'train s': (Date.now() - started) / 1000,
  });
}
printTable('Test accuracy of the reference recipes', rows);
writeResults('accuracy', { accuracy: rows });
