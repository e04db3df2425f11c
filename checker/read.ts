/**
 * Reading the checker's two inputs from disk, shared by `mechcert-check` and the prover's `mechcert check`. Only a
 * regular file is read (a device such as /dev/zero reports size 0 and never ends; a FIFO blocks), and never more than
 * its limit: the read stops one byte past it. A missing, unreadable, special or oversized file is an I/O error
 * (exit 2), not a rejection.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

export class InputFileError extends Error {}

const CHUNK = 1 << 20;

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

export function readBounded(path: string, limit: number, what: string): Uint8Array {
  const fail = (e: unknown): never => {
    throw new InputFileError(`cannot read ${what} ${JSON.stringify(path)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  };
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return fail(e);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new InputFileError(`${what} ${JSON.stringify(path)} is ${kindOf(st)}, not a regular file`);
    if (st.size > limit) throw new InputFileError(`${what} ${JSON.stringify(path)} is ${st.size} bytes, over the limit of ${limit}`);
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const buf = new Uint8Array(Math.min(CHUNK, limit + 1 - total));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total > limit) throw new InputFileError(`${what} ${JSON.stringify(path)} grew past the limit of ${limit} bytes while being read`);
    }
    return Buffer.concat(chunks, total);
  } catch (e) {
    if (e instanceof InputFileError) throw e;
    return fail(e);
  } finally {
    closeSync(fd);
  }
}
