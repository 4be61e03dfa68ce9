/**
 * CSV datasets for users' own data: one label column plus numeric features.
 * A header row is detected (any non-numeric cell in the first row) or forced.
 * Labels that are all non-negative whole numbers are class indices ('1.0'
 * is 1); other numbers (−1 and 1) become classes in numeric order, names in
 * text order (see `labelNames`). A column that mixes names and numbers, or
 * has an empty label, is refused: read as names, '10' would sort before '2'.
 */
import { ArgumentRangeError, ArgumentTypeError, DataError } from '../errors';
import { constants as bufferConstants } from 'node:buffer';
import { readFileBytes } from '../files';
import { Tensor } from '../tensor';
import { assertBoolean, assertInRange, assertInteger, assertString, describe, expected, optionsObject } from '../validate';
import { Dataset, MAX_CLASSES, Split, checkDataset, holdOut } from './dataset';

const MAX_STRING_LENGTH = bufferConstants.MAX_STRING_LENGTH;

export interface CsvOptions {
  /** Label column: index or header name. Default: a column named "label", else column 0. */
  labelColumn?: number | string;
  /** Whether the first row is a header; detected when omitted. */
  header?: boolean;
  delimiter?: string;
}

// Decimal numbers only: Number() would also read '0x10' as 16, '0b1' as 1 and '' as 0.
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function isNumber(cell: string): boolean {
  return DECIMAL.test(cell.trim());
}

const CSV_OPTIONS = ['labelColumn', 'header', 'delimiter'];

function checkOptions(options: CsvOptions | undefined): CsvOptions {
  const checked = optionsObject('options', options, CSV_OPTIONS);
  const { labelColumn, header, delimiter } = checked;
  if (typeof labelColumn === 'number') assertInteger('options.labelColumn', labelColumn, 0);
  else if (labelColumn !== undefined && typeof labelColumn !== 'string') {
    throw new ArgumentTypeError(expected('a column index or name', 'options.labelColumn', describe(labelColumn)));
  }
  if (header !== undefined) assertBoolean('options.header', header);
  if (delimiter !== undefined) {
    assertString('options.delimiter', delimiter);
    // ''.split('') would cut every line into characters.
    if (delimiter === '') throw new ArgumentRangeError(expected('a non-empty delimiter', 'options.delimiter', 'an empty string'));
  }
  return checked;
}

export function parseCsv(text: string, name: string, options?: CsvOptions): Dataset {
  assertString('text', text);
  assertString('name', name);
  options = checkOptions(options);
  const delimiter = options.delimiter ?? ',';
  const lines = text.split(/\r\n|\r|\n/);
  const rows: { line: number; cells: string[] }[] = [];
  lines.forEach((l, i) => {
    if (l.trim() !== '') rows.push({ line: i + 1, cells: l.split(delimiter).map((c) => c.trim()) });
  });
  if (rows.length === 0) throw new DataError(`${name}: the file is empty`);
  const header = options.header ?? rows[0].cells.some((c) => !isNumber(c));
  const names = header ? rows[0].cells : rows[0].cells.map((_, i) => `column ${i + 1}`);
  const body = header ? rows.slice(1) : rows;
  if (body.length === 0) throw new DataError(`${name}: no data rows`);
  const width = names.length;
  if (width < 2) throw new DataError(`${name}: needs a label column and at least one feature column`);

  let labelIndex: number;
  const wanted = options.labelColumn;
  if (typeof wanted === 'string') {
    labelIndex = names.indexOf(wanted);
    if (labelIndex < 0) throw new DataError(`${name}: no column named '${wanted}' (columns: ${names.join(', ')})`);
  } else if (typeof wanted === 'number') {
    if (wanted >= width) {
      throw new DataError(`${name}: label column ${wanted} is outside the ${width} columns`);
    }
    labelIndex = wanted;
  } else {
    labelIndex = header && names.includes('label') ? names.indexOf('label') : 0;
  }

  const features = width - 1;
  const x = Tensor.zeros([body.length, features]);
  const where = (line: number, c: number) => `${name}: line ${line}, column ${c + 1} ('${names[c]}')`;
  const rawLabels: string[] = [];
  body.forEach(({ line, cells }, r) => {
    if (cells.length !== width) throw new DataError(`${name}: line ${line} has ${cells.length} cells, expected ${width}`);
    let f = 0;
    for (let c = 0; c < width; c++) {
      if (c === labelIndex) {
        rawLabels.push(cells[c]);
        continue;
      }
      if (!isNumber(cells[c])) throw new DataError(`${where(line, c)}: '${cells[c]}' is not a number`);
      const value = Math.fround(Number(cells[c]));
      if (!Number.isFinite(value)) throw new DataError(`${where(line, c)}: '${cells[c]}' is beyond the float32 range`);
      x.data[r * features + f++] = value;
    }
  });

  const empty = rawLabels.indexOf('');
  if (empty >= 0) throw new DataError(`${where(body[empty].line, labelIndex)}: the label is empty`);
  const numeric = rawLabels.map(isNumber);
  // Names and numbers in one column: read as names, '10' would sort before '2'.
  const odd = numeric.indexOf(!numeric[0]);
  if (odd >= 0) {
    const [a, b] = [rawLabels[0], rawLabels[odd]];
    throw new DataError(`${where(body[odd].line, labelIndex)}: label '${b}' is ${numeric[0] ? 'a name' : 'a number'}, but label '${a}' on line ${body[0].line} is ${numeric[0] ? 'a number' : 'a name'}`);
  }
  const values = numeric[0] ? rawLabels.map(Number) : [];
  let y: Int32Array, classes: number, labelNames: string[] | undefined;
  if (numeric[0] && values.every((v) => Number.isInteger(v) && v >= 0)) {
    // Class indices ('1.0' is 1). Checked before Int32Array.from, which would wrap 2^32 + 1 to 1.
    values.forEach((v, r) => {
      if (v >= MAX_CLASSES) {
        throw new DataError(`${where(body[r].line, labelIndex)}: label ${rawLabels[r]} is not a class index in [0, ${MAX_CLASSES})`);
      }
    });
    y = Int32Array.from(values);
    classes = y.reduce((m, v) => Math.max(m, v + 1), 0);
  } else {
    // Names in text order; other numbers (-1 and 1, as libsvm writes them) in numeric order.
    const distinct = numeric[0] ? [...new Set(values)].sort((a, b) => a - b) : [...new Set(rawLabels)].sort();
    if (distinct.length > MAX_CLASSES) throw new DataError(`${name}: ${distinct.length} distinct labels, more than the ${MAX_CLASSES} classes allowed`);
    const index = new Map<string | number, number>(distinct.map((l, i) => [l, i]));
    const keys: (string | number)[] = numeric[0] ? values : rawLabels;
    y = Int32Array.from(keys, (l) => index.get(l)!);
    labelNames = distinct.map(String);
    classes = distinct.length;
  }
  return checkDataset({ name, x, y, classes, sampleShape: [features], ...(labelNames ? { labelNames } : {}) });
}

export function readCsv(file: string, options?: CsvOptions): Dataset {
  assertString('file', file, 'a file path');
  checkOptions(options);
  const bytes = readFileBytes(file);
  if (bytes.length > MAX_STRING_LENGTH) {
    throw new DataError(`${file}: ${bytes.length} bytes is more text than one JavaScript string holds (${MAX_STRING_LENGTH}); convert it to IDX files`);
  }
  return parseCsv(bytes.toString('utf8'), file, options);
}

/**
 * A CSV file as a train/test split: a seeded, stratified 20% (by default) of
 * each class is the test set.
 */
export function loadCsv(file: string, options?: CsvOptions & { testFraction?: number; seed?: number }): Split {
  const { testFraction = 0.2, seed = 0 } = optionsObject('options', options, [...CSV_OPTIONS, 'testFraction', 'seed']);
  // Checked before the file is read, under the names the caller used.
  assertInRange('options.testFraction', testFraction, 0, 1, { minExclusive: true, maxExclusive: true });
  assertInteger('options.seed', seed, 0, 2 ** 32 - 1);
  const { testFraction: _t, seed: _s, ...csv } = options ?? {};
  const ds = readCsv(file, csv);
  const { train, validation } = holdOut(ds, testFraction, seed);
  if (validation.y.length === 0 || train.y.length === 0) {
    throw new DataError(`${file}: ${ds.y.length} rows leave the ${validation.y.length === 0 ? 'test' : 'training'} split empty (${Math.round(testFraction * 100)}% of each class is held out for testing); add rows`);
  }
  return { train: { ...train, name: `${file} train` }, test: { ...validation, name: `${file} test` } };
}
