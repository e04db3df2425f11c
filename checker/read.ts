/**
 * Reading the checker's two inputs from disk with a size limit checked before the read, shared by `mechcert-check` and
 * the prover's `mechcert check`. A missing, unreadable or oversized file is an I/O error (exit 2), not a rejection.
 */
import { readFileSync, statSync } from 'node:fs';

export class InputFileError extends Error {}

export function readBounded(path: string, limit: number, what: string): Uint8Array {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    throw new InputFileError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  if (size > limit) throw new InputFileError(`${what} ${path} is ${size} bytes, over the limit of ${limit}`);
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new InputFileError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}
