/**
 * Argument validation: small predicates with one message factory,
 * "Expected {expected} for {name} but received {actual}".
 * Wrong type -> ArgumentTypeError, out of range -> ArgumentRangeError,
 * disagreeing sizes -> ShapeError; each names the parameter.
 */
import { ArgumentRangeError, ArgumentTypeError, ShapeError } from './errors';

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : `the number ${value}`;
  if (typeof value === 'string') return value.length === 0 ? 'an empty string' : 'a string';
  if (typeof value === 'boolean') return `the boolean ${value}`;
  if (typeof value === 'bigint') return 'a bigint';
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${Object.prototype.toString.call(value).slice(8, -1)}`;
  const kind = kindOf(value as object);
  return kind === 'Object' ? 'an object' : `${/^([AEIO]|U[a-z])/.test(kind) ? 'an' : 'a'} ${kind}`;
}

/** What an object is (ArrayBuffer, URL, Promise, a class's name), read without running its getters; 'Object' when plain or unknown. */
function kindOf(value: object): string {
  try {
    const tag = Object.prototype.toString.call(value).slice(8, -1);
    if (tag !== 'Object') return tag;
    const proto: unknown = Object.getPrototypeOf(value);
    const ctor: unknown = proto ? Object.getOwnPropertyDescriptor(proto, 'constructor')?.value : undefined;
    return typeof ctor === 'function' && ctor !== Object && /^[A-Za-z_$][\w$]*$/.test(ctor.name) ? ctor.name : 'Object';
  } catch {
    return 'Object'; // a Proxy that throws from its traps
  }
}

/** A value for a message: strings quoted as given, anything else described (never JSON, which throws on BigInt and cycles). */
export function quoted(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : describe(value);
}

export function expected(what: string, name: string, actual: string): string {
  return `Expected ${what} for ${name} but received ${actual}`;
}

/**
 * Typed-array checks by tag, not instanceof: arrays made in another realm
 * (a vm context, a test runner's sandbox, the addon) are still accepted. The
 * toStringTag getter names the kind without building a string per call.
 */
function isTyped(value: unknown, tag: string): boolean {
  return ArrayBuffer.isView(value) && (value as unknown as { [Symbol.toStringTag]: unknown })[Symbol.toStringTag] === tag;
}

export function isFloat32Array(value: unknown): value is Float32Array {
  return isTyped(value, 'Float32Array');
}

/** An array or a typed array (not a DataView): the forms a list of numbers may take. */
export function isArrayOrTypedArray(value: unknown): value is ArrayLike<unknown> {
  return Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));
}

export function assertFloat32Array(name: string, value: unknown): asserts value is Float32Array {
  if (!isTyped(value, 'Float32Array')) throw new ArgumentTypeError(expected('a Float32Array', name, describe(value)));
}

export function assertUint8Array(name: string, value: unknown): asserts value is Uint8Array {
  if (!isTyped(value, 'Uint8Array')) throw new ArgumentTypeError(expected('a Uint8Array', name, describe(value)));
}

export function assertInt32Array(name: string, value: unknown): asserts value is Int32Array {
  if (!isTyped(value, 'Int32Array')) throw new ArgumentTypeError(expected('an Int32Array', name, describe(value)));
}

export function assertUint16Array(name: string, value: unknown): asserts value is Uint16Array {
  if (!isTyped(value, 'Uint16Array')) throw new ArgumentTypeError(expected('a Uint16Array', name, describe(value)));
}

export function assertString(name: string, value: unknown, what = 'a string'): asserts value is string {
  if (typeof value !== 'string') throw new ArgumentTypeError(expected(what, name, describe(value)));
}

export function assertBoolean(name: string, value: unknown): asserts value is boolean {
  if (typeof value !== 'boolean') throw new ArgumentTypeError(expected('a boolean', name, describe(value)));
}

export function assertNumber(name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number') throw new ArgumentTypeError(expected('a number', name, describe(value)));
}

/** A finite number in [min, max] (bounds inclusive unless said otherwise). */
export function assertInRange(
  name: string,
  value: unknown,
  min: number,
  max: number,
  { minExclusive = false, maxExclusive = false } = {},
): asserts value is number {
  // Messages are built only on failure: these checks sit on every call.
  const what = () => `a number in ${minExclusive ? '(' : '['}${min}, ${max}${maxExclusive ? ')' : ']'}`;
  if (typeof value !== 'number') throw new ArgumentTypeError(expected(what(), name, describe(value)));
  const below = minExclusive ? value <= min : value < min;
  const above = maxExclusive ? value >= max : value > max;
  if (!Number.isFinite(value) || below || above) throw new ArgumentRangeError(expected(what(), name, describe(value)));
}

export function assertInteger(name: string, value: unknown, min = 0, max = Number.MAX_SAFE_INTEGER): asserts value is number {
  const what = () => `an integer in [${min}, ${max}]`;
  if (typeof value !== 'number') throw new ArgumentTypeError(expected(what(), name, describe(value)));
  if (!Number.isInteger(value) || value < min || value > max) throw new ArgumentRangeError(expected(what(), name, describe(value)));
}

/**
 * An options argument: undefined reads as no options; anything but a
 * non-array object (null included) is an ArgumentTypeError, so a later
 * `options.x` can never throw V8's own TypeError.
 */
/**
 * An options object (undefined reads as {}). With `known`, a key outside it
 * is an ArgumentRangeError: a misspelt option (batchsize, momentom, scop)
 * would otherwise be ignored, and the run would quietly use the default.
 */
export function optionsObject<T extends object>(name: string, value: T | undefined, known?: readonly string[]): T {
  if (value === undefined) return {} as T;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ArgumentTypeError(expected('an options object', name, describe(value)));
  }
  if (known !== undefined) {
    for (const key of Object.keys(value)) {
      if (known.includes(key)) continue;
      const near = known.find((k) => k.toLowerCase() === key.toLowerCase() || editDistance(k, key) <= 2);
      throw new ArgumentRangeError(`${name}.${key} is not an option${near ? ` (did you mean ${near}?)` : ''}; the options are ${known.join(', ')}`);
    }
  }
  return value;
}

/** Levenshtein distance, for short option names. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

export function assertObject(name: string, value: unknown, what = 'an object'): asserts value is object {
  if (typeof value !== 'object' || value === null) throw new ArgumentTypeError(expected(what, name, describe(value)));
}

export function assertFunction(name: string, value: unknown): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function') throw new ArgumentTypeError(expected('a function', name, describe(value)));
}

/** Optional callback: undefined, or a function. */
export function assertOptionalFunction(name: string, value: unknown): void {
  if (value !== undefined) assertFunction(name, value);
}

export function assertLength(name: string, actual: number, wanted: number): void {
  if (actual !== wanted) throw new ShapeError(expected(`length ${wanted}`, name, `length ${actual}`));
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function assertShape(name: string, actual: readonly number[], wanted: readonly number[]): void {
  if (actual.length !== wanted.length || actual.some((d, i) => d !== wanted[i])) {
    throw new ShapeError(expected(`shape ${formatShape(wanted)}`, name, `shape ${formatShape(actual)}`));
  }
}

/** Output memory must not overlap an input's: the kernel would read what it already wrote. */
export function assertDisjoint(outName: string, out: ArrayBufferView, inName: string, input: ArrayBufferView | undefined): void {
  if (input === undefined || out.buffer !== input.buffer) return;
  const o0 = out.byteOffset, o1 = o0 + out.byteLength;
  const i0 = input.byteOffset, i1 = i0 + input.byteLength;
  if (o0 < i1 && i0 < o1 && out.byteLength > 0 && input.byteLength > 0) {
    throw new ArgumentRangeError(expected(`memory separate from ${inName}`, outName, 'an overlapping view of the same buffer'));
  }
}
