/**
 * What the checker needs from its host besides arithmetic: SHA-256 and gunzip. This is the Node.js implementation;
 * the browser page's build replaces this module with platform-browser.ts (Web Crypto and DecompressionStream). Both
 * are asynchronous because the browser's are.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, inflateRawSync } from 'node:zlib';

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Why a gzip input could not be decompressed: corrupt data, or output beyond the limit. */
export class GunzipError extends Error {
  constructor(readonly tooLarge: boolean, message: string) {
    super(message);
  }
}

/**
 * The decompressed bytes of gzip data, at most `maxBytes` of them: exactly one member (RFC 1952), every byte of it
 * read. zlib goes on into further members, and stops at a zero byte after one (taking it for padding) leaving what
 * follows unread under the file's hash; the browser's DecompressionStream reads one member and refuses anything after
 * it. So, with the data decompressed (and its CRC checked) by gunzip, the first member's deflate stream is inflated
 * again on its own to find where the member ends, and any byte after that end is corrupt data.
 */
export async function gunzip(bytes: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  let out: Uint8Array;
  let end: number;
  try {
    out = gunzipSync(bytes, { maxOutputLength: maxBytes });
    const start = deflateStart(bytes);
    const first = inflateRawSync(bytes.subarray(start), { maxOutputLength: maxBytes, info: true }) as unknown as { engine: { bytesWritten: number } };
    end = start + first.engine.bytesWritten + 8; // the deflate stream, then CRC32 and ISIZE
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE') throw new GunzipError(true, `decompresses to more than ${maxBytes} bytes`);
    // zlib reads bytes after a complete member as the start of another member: "incorrect header check" there.
    throw new GunzipError(false, `${err.message} (${err.code ?? 'zlib error'})`);
  }
  if (end !== bytes.length) throw new GunzipError(false, `${bytes.length - end} bytes after the first member: one gzip member is read`);
  return out;
}

/** Where a gzip member's deflate data begins: its 10-byte header, then the optional fields its flags name (RFC 1952 §2.3). */
function deflateStart(b: Uint8Array): number {
  const flags = b[3];
  let at = 10;
  if (flags & 4) at += 2 + (b[at] | (b[at + 1] << 8)); // FEXTRA: a 2-byte length, then the field
  for (const zeroEnded of [8, 16]) { // FNAME, FCOMMENT
    if (flags & zeroEnded) {
      while (at < b.length && b[at] !== 0) at++;
      at++;
    }
  }
  return flags & 2 ? at + 2 : at; // FHCRC
}
