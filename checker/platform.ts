/**
 * What the checker needs from its host besides arithmetic: SHA-256 and gunzip. This is the Node.js implementation;
 * the browser page's build replaces this module with platform-browser.ts (Web Crypto and DecompressionStream). Both
 * are asynchronous because the browser's are.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';

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
 * The decompressed bytes of gzip data, at most `maxBytes` of them. Every byte must belong to a member: zlib stops at a
 * zero byte after a member (taking it for padding) and ignores what follows, which would be unread bytes under the
 * file's hash, so input left unconsumed is corrupt data.
 */
export async function gunzip(bytes: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  let out: { buffer: Uint8Array; engine: { bytesWritten: number } };
  try {
    out = gunzipSync(bytes, { maxOutputLength: maxBytes, info: true }) as unknown as typeof out;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE') throw new GunzipError(true, `decompresses to more than ${maxBytes} bytes`);
    // zlib reads bytes after a complete member as the start of another member: "incorrect header check" there.
    throw new GunzipError(false, `${err.message} (${err.code ?? 'zlib error'})`);
  }
  const left = bytes.length - out.engine.bytesWritten;
  if (left !== 0) throw new GunzipError(false, `${left} bytes after the last member are not gzip data`);
  return out.buffer;
}
