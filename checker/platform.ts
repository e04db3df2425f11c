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

/** The decompressed bytes of gzip data, at most `maxBytes` of them. */
export async function gunzip(bytes: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  try {
    return gunzipSync(bytes, { maxOutputLength: maxBytes });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE') throw new GunzipError(true, `decompresses to more than ${maxBytes} bytes`);
    // zlib reads bytes after a complete member as the start of another member: "incorrect header check" there.
    throw new GunzipError(false, `${err.message} (${err.code ?? 'zlib error'})`);
  }
}
