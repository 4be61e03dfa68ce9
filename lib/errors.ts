/**
 * The library's typed errors. Every error prunekit throws on purpose is a
 * PrunekitError with a stable `name` and `code`; the native addon constructs
 * these same classes (see native.ts), so `instanceof` works across the
 * boundary.
 */
/** The `code` of each error class, so that code can switch on it with its type narrowed. */
export type PrunekitErrorCode =
  | 'ERR_PRUNEKIT' | 'ERR_ARGUMENT_TYPE' | 'ERR_ARGUMENT_RANGE' | 'ERR_SHAPE' | 'ERR_NON_FINITE'
  | 'ERR_ADDON_LOAD' | 'ERR_DATA' | 'ERR_CORRUPT_MODEL';

export class PrunekitError extends Error {
  readonly code: PrunekitErrorCode = 'ERR_PRUNEKIT';
  constructor(message: string) {
    super(message);
    this.name = 'PrunekitError';
  }
}

/** A value of the wrong type: a Float64Array where a Float32Array belongs, a string for a number. */
export class ArgumentTypeError extends PrunekitError {
  override readonly code: PrunekitErrorCode = 'ERR_ARGUMENT_TYPE';
  constructor(message: string) {
    super(message);
    this.name = 'ArgumentTypeError';
  }
}

/** A value of the right type outside its allowed range. */
export class ArgumentRangeError extends PrunekitError {
  override readonly code: PrunekitErrorCode = 'ERR_ARGUMENT_RANGE';
  constructor(message: string) {
    super(message);
    this.name = 'ArgumentRangeError';
  }
}

/** Shapes or lengths that disagree. */
export class ShapeError extends PrunekitError {
  override readonly code: PrunekitErrorCode = 'ERR_SHAPE';
  constructor(message: string) {
    super(message);
    this.name = 'ShapeError';
  }
}

/** NaN (or Inf where it is not allowed) in data that must be finite. */
export class NonFiniteError extends PrunekitError {
  override readonly code: PrunekitErrorCode = 'ERR_NON_FINITE';
  constructor(message: string) {
    super(message);
    this.name = 'NonFiniteError';
  }
}

/** The native addon could not be loaded; the message lists fixes. */
export class AddonLoadError extends PrunekitError {
  override readonly code: PrunekitErrorCode = 'ERR_ADDON_LOAD';
  constructor(message: string) {
    super(message);
    this.name = 'AddonLoadError';
  }
}

/** Unreadable, missing or inconsistent data: the message names the file and the problem. */
export class DataError extends PrunekitError {
  override readonly code: PrunekitErrorCode = 'ERR_DATA';
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}

/** A model file or checkpoint that is truncated, corrupt or not understood: the message says what and where. */
export class CorruptModelError extends PrunekitError {
  override readonly code: PrunekitErrorCode = 'ERR_CORRUPT_MODEL';
  constructor(message: string) {
    super(message);
    this.name = 'CorruptModelError';
  }
}
