/**
 * What the checker needs from its host besides arithmetic, in a browser: SHA-256 from Web Crypto and gunzip from
 * DecompressionStream. The browser page's build (checker/web/build.mjs) puts this module in place of platform.ts, whose
 * exports it mirrors; nothing here decides anything about a certificate.
 */

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/** Why a gzip input could not be decompressed: corrupt data, or output beyond the limit. */
export class GunzipError extends Error {
  constructor(
    readonly tooLarge: boolean,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The decompressed bytes of gzip data, at most `maxBytes` of them: the output is read chunk by chunk and the
 * decompression cancelled as soon as it passes the limit, so a gzip bomb costs at most `maxBytes` plus one chunk.
 */
export async function gunzip(bytes: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  const stream = new DecompressionStream('gzip');
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  // A write or close error (corrupt or truncated data) also errors the readable side, where it is reported below.
  writer.write(bytes).then(() => writer.close()).catch(() => undefined);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const chunk = value as Uint8Array;
      total += chunk.length;
      if (total > maxBytes) {
        reader.cancel().catch(() => undefined);
        throw new GunzipError(true, `decompresses to more than ${maxBytes} bytes`);
      }
      chunks.push(chunk);
    }
  } catch (e) {
    if (e instanceof GunzipError) throw e;
    throw new GunzipError(false, `${e instanceof Error ? e.message : String(e)} (DecompressionStream)`);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
