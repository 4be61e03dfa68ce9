/** CRC-32 (IEEE, as zlib and PNG): Node's zlib.crc32 where it exists (≥ 20.15), a table otherwise. */
import * as zlib from 'node:zlib';
import { ArgumentTypeError } from '../errors';
import { assertInteger, describe, expected } from '../validate';

type Crc32 = (data: Uint8Array | string, value?: number) => number;

let table: Uint32Array | null = null;

function tableCrc32(data: Uint8Array | string, value = 0): number {
  if (table === null) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let crc = ~value >>> 0;
  for (let i = 0; i < bytes.length; i++) crc = table[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

const fastCrc32: Crc32 = (zlib as unknown as { crc32?: Crc32 }).crc32 ?? tableCrc32;

/** zlib's own checks throw Node's plain TypeError, and the table would read other arrays' elements as bytes: checked here. */
function checked(impl: Crc32): Crc32 {
  return (data, value = 0) => {
    if (typeof data !== 'string' && !(ArrayBuffer.isView(data) && Object.prototype.toString.call(data) === '[object Uint8Array]')) {
      throw new ArgumentTypeError(expected('a Uint8Array, Buffer or string', 'data', describe(data)));
    }
    assertInteger('value', value, 0, 2 ** 32 - 1);
    // Nothing to add: the running value is the answer. Node 20's zlib.crc32
    // returns 0 instead for an array over a zero-length buffer, which made
    // an empty section's stored checksum disagree with the reader's.
    if (data.length === 0) return value;
    return impl(data, value);
  };
}

export const crc32: Crc32 = checked(fastCrc32);
export const crc32Fallback: Crc32 = checked(tableCrc32);
