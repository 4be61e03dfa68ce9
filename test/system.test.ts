import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ArgumentRangeError, info, setThreads } from '../lib';
import { chooseOpenBlasCoreType, native } from '../lib/native';

describe('info()', () => {
  it('reports the backend, kernel set, threads and version', () => {
    const i = info();
    expect(['openblas', 'builtin']).toContain(i.backend);
    expect(i.kernelSet.length).toBeGreaterThan(0);
    expect(i.threads).toBeGreaterThanOrEqual(1);
    expect(i.version).toBe(require('../package.json').version);
    expect(['avx512', 'avx2', 'generic']).toContain(i.simd);
    expect(i.tiledGemm).toBe(i.simd === 'avx512');
  });

  it('uses OpenBLAS under CI, so a silent fallback to built-in kernels cannot pass', () => {
    if (process.env.CI !== 'true') {
      expect(info().backend).toMatch(/^(openblas|builtin)$/);
      return;
    }
    expect(info().backend).toBe('openblas');
  });

  it('setThreads changes the kernels\' thread count and validates it', () => {
    const before = info().threads;
    setThreads(1);
    expect(info().threads).toBe(1);
    setThreads(before);
    expect(() => setThreads(65)).toThrow(ArgumentRangeError);
  });

  it('a trivial native call returns', () => {
    expect(native.nop()).toBeUndefined();
  });
});

describe('OpenBLAS kernel-set choice', () => {
  const avx512 = 'flags\t\t: fpu sse avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl';
  it.each([
    ['AuthenticAMD', avx512, {}, 'SkylakeX'],
    ['GenuineIntel', avx512, {}, null],
    ['AuthenticAMD', 'flags\t\t: fpu sse avx2 fma', {}, null],
    ['AuthenticAMD', avx512, { OPENBLAS_CORETYPE: 'Haswell' }, null],
  ])('vendor %s', (vendor, flags, env, expected) => {
    expect(chooseOpenBlasCoreType(`vendor_id\t: ${vendor}\n${flags}\n`, env)).toBe(expected);
  });
});

describe('the package entry points', () => {
  const root = path.resolve(__dirname, '..');
  it('loads with require() and with import', () => {
    const cjs = execFileSync(process.execPath, ['-e', "const p = require('./dist/index.js'); console.log(typeof p.gemm, p.info().backend)"], { cwd: root }).toString();
    expect(cjs.trim()).toMatch(/^function (openblas|builtin)$/);
    const esm = execFileSync(process.execPath, ['--input-type=module', '-e', "import { gemm, info } from 'prunekit'; console.log(typeof gemm, info().backend)"], { cwd: root }).toString();
    expect(esm.trim()).toMatch(/^function (openblas|builtin)$/);
  });
});
