import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ArgumentRangeError, CorruptModelError, DataError, Dense, NonFiniteError, Sequential, Tensor, encodeModel, lenet300100, lenet5, loadCheckpoint, magnitudeThreshold, mlp, parseCheckpoint,
  saveCheckpoint, serializeCheckpoint,
} from '../lib';
import { randomTensor, rng } from './helpers';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'prunekit-ckpt-'));

/** Rewrites the JSON header of a checkpoint (keeping the data section). */
function withHeader(buf: Buffer, edit: (h: Record<string, unknown>) => void): Buffer {
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString()) as Record<string, unknown>;
  edit(header);
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, buf.subarray(8 + n)]);
}

describe('safetensors checkpoints', () => {
  const next = rng(51);

  it('round-trips a pruned LeNet-300-100 to identical predictions, masks included', () => {
    const model = lenet300100({ seed: 3 });
    const fc1 = model.layers[0] as Dense;
    fc1.weight.setMask(magnitudeThreshold(fc1.weight.value.data, 0.9).mask);
    const file = path.join(tmp, 'lenet.safetensors');
    saveCheckpoint(model, file, { dataset: 'mnist' });
    expect(readdirSync(tmp).filter((f) => f.includes('.tmp-'))).toEqual([]);
    const { model: loaded, metadata } = loadCheckpoint(file);
    expect(metadata).toEqual({ dataset: 'mnist' });
    const x = randomTensor([5, 784], next);
    expect(Array.from(loaded.logits(x).data)).toEqual(Array.from(model.logits(x).data));
    expect(Array.from((loaded.layers[0] as Dense).weight.mask!)).toEqual(Array.from(fc1.weight.mask!));
    expect(loaded.parameterCount()).toEqual(model.parameterCount());
  });

  it('round-trips LeNet-5', () => {
    const model = lenet5({ seed: 2 });
    const loaded = parseCheckpoint(serializeCheckpoint(model)).model;
    const x = randomTensor([2, 784], next);
    expect(Array.from(loaded.logits(x).data)).toEqual(Array.from(model.logits(x).data));
  });

  it('follows the safetensors layout: u64 header length, JSON header, offsets into the data', () => {
    const model = mlp([3, 2], { seed: 1 });
    const buf = serializeCheckpoint(model);
    const n = Number(buf.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    const header = JSON.parse(buf.subarray(8, 8 + n).toString());
    expect(header['fc1.weight']).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    expect(header['fc1.bias']).toEqual({ dtype: 'F32', shape: [2], data_offsets: [24, 32] });
    expect(buf.length).toBe(8 + n + 32);
    const w = (model.layers[0] as Dense).weight.value.data;
    expect(buf.readFloatLE(8 + n + 4)).toBe(w[1]);
  });

  const good = serializeCheckpoint(mlp([4, 3, 2], { seed: 1 }));
  const corrupt: [string, Buffer, string][] = [
    ['a truncated length', good.subarray(0, 5), 'too short for a safetensors file'],
    ['a header length beyond the file', (() => { const b = Buffer.from(good); b.writeBigUInt64LE(2n ** 60n, 0); return b; })(), 'header length 1152921504606846976 exceeds'],
    ['a header that is not JSON', (() => { const b = Buffer.from(good); b[9] = 0x7b; b[10] = 0x7b; return b; })(), 'header is not valid JSON'],
    ['a truncated data section', good.subarray(0, good.length - 4), "spans bytes"],
    ['an unsupported dtype', withHeader(good, (h) => ((h['fc1.weight'] as { dtype: string }).dtype = 'F64')), "tensor 'fc1.weight' has unsupported dtype \"F64\""],
    ['offsets that disagree with the shape', withHeader(good, (h) => ((h['fc1.bias'] as { shape: number[] }).shape = [4])), "tensor 'fc1.bias' of shape [4] needs 16 bytes but spans 12"],
    ['a missing tensor', withHeader(good, (h) => delete h['fc2.bias']), 'the architecture implies 23 parameters but the file holds 21'],
    ['a renamed tensor', withHeader(good, (h) => { h['fc9.bias'] = h['fc2.bias']; delete h['fc2.bias']; }), "tensor 'fc2.bias' is missing"],
    ['an unknown layer type', withHeader(good, (h) => ((h.__metadata__ as Record<string, string>).prunekit_architecture = '[{"type":"lstm"}]')), 'unknown layer type "lstm"'],
    ['no architecture', withHeader(good, (h) => delete (h.__metadata__ as Record<string, string>).prunekit_architecture), 'not a prunekit checkpoint'],
    ['an empty file', Buffer.alloc(0), 'm.safetensors: the file is empty'],
    ['a model file', Buffer.from([0x89, 0x50, 0x52, 0x4b, 0x0d, 0x0a, 0x1a, 0x0a, 1, 0, 0, 0]), 'm.safetensors: a prunekit model file (made by compress or run), not a safetensors checkpoint (made by train or prune)'],
    ['a NaN weight', (() => { const b = Buffer.from(good); b.writeFloatLE(NaN, b.length - 8 * 4); return b; })(), "tensor 'fc2.weight' holds NaN at index 0"],
    ['two layers of one name', withHeader(good, (h) => {
      const meta = h.__metadata__ as Record<string, string>;
      meta.prunekit_architecture = meta.prunekit_architecture.replace('"name":"fc2"', '"name":"fc1"');
    }), "two layers hold parameters named 'fc1.weight'"],
  ];
  for (const [what, bytes, message] of corrupt) {
    it(`refuses ${what} with a CorruptModelError`, () => {
      const call = () => parseCheckpoint(bytes, 'm.safetensors');
      expect(call).toThrow(CorruptModelError);
      expect(call).toThrow(message);
    });
  }

  it('survives random corruption: every mutation loads or throws CorruptModelError', () => {
    const r = rng(99);
    for (let i = 0; i < 500; i++) {
      const b = Buffer.from(good);
      const kind = i % 3;
      if (kind === 0) b[Math.floor(r() * b.length)] ^= 1 << Math.floor(r() * 8);
      const cut = kind === 1 ? b.subarray(0, Math.floor(r() * b.length)) : b;
      if (kind === 2) cut.writeUInt32LE(Math.floor(r() * 2 ** 32), 8 + Math.floor(r() * (cut.length - 12)));
      try {
        parseCheckpoint(cut);
      } catch (e) {
        if (!(e instanceof CorruptModelError)) throw e;
      }
    }
  });

  it('refuses to write what it could not read back: a NaN or infinite value, or two parameters of one name', () => {
    const model = mlp([4, 3, 2], { seed: 1 });
    model.parameters()[2].value.data[1] = -Infinity;
    expect(() => serializeCheckpoint(model)).toThrow(NonFiniteError);
    expect(() => serializeCheckpoint(model)).toThrow('cannot save fc2.weight: it holds -Infinity at index 1; a checkpoint holds finite values only');
    const twins = new Sequential([new Dense(4, 4), new Dense(4, 4)]);
    for (const write of [() => serializeCheckpoint(twins), () => encodeModel(twins)]) {
      expect(write).toThrow(ArgumentRangeError);
      expect(write).toThrow("cannot save a model with two parameters named 'dense_4_4.weight': give its layers distinct names ({ name })");
    }
  });

  it('names a missing file', () => {
    expect(() => loadCheckpoint(path.join(tmp, 'none.safetensors'))).toThrow(DataError);
    expect(() => loadCheckpoint(path.join(tmp, 'none.safetensors'))).toThrow('none.safetensors: cannot read (no such file)');
    expect(Tensor).toBeDefined();
  });
});
