import { ArgumentRangeError, ArgumentTypeError, ShapeError, Tensor } from '../lib';

describe('Tensor', () => {
  it('wraps data without copying and freezes its shape', () => {
    const data = new Float32Array(6);
    const t = new Tensor(data, [2, 3]);
    expect(t.data).toBe(data);
    expect(t.size).toBe(6);
    expect(t.rank).toBe(2);
    expect(Object.isFrozen(t.shape)).toBe(true);
    expect(t.reshape([3, 2]).data).toBe(data);
    expect(t.clone().data).not.toBe(data);
    expect(String(t)).toBe('Tensor[2, 3]');
  });

  it.each([
    [() => new Tensor(new Float32Array(5), [2, 3]), ShapeError, 'Expected length 6 (shape [2, 3]) for data but received length 5'],
    [() => new Tensor([1, 2] as unknown as Float32Array, [2]), ArgumentTypeError, 'Expected a Float32Array for data but received an array of length 2'],
    [() => Tensor.zeros([2, -1]), ArgumentRangeError, 'Expected a non-negative integer for shape[1] but received the number -1'],
    [() => Tensor.zeros([1.5]), ArgumentRangeError, 'Expected a non-negative integer for shape[0] but received the number 1.5'],
    [() => Tensor.zeros('3' as unknown as number[]), ArgumentTypeError, 'Expected an array of dimensions for shape but received a string'],
    [() => Tensor.zeros([2 ** 20, 2 ** 20]), ArgumentRangeError, 'Expected at most 2^32 elements for shape but received [1048576, 1048576]'],
  ])('rejects bad construction %#', (call, type, message) => {
    expect(call).toThrow(type);
    expect(call).toThrow(message);
  });
});
