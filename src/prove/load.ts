/**
 * Reads a model file once, keeping its bytes (the checker needs them, and the SHA-256 names them).
 * Copies into a plain Uint8Array: parseModel must not see a Buffer that is a view into a larger pooled allocation.
 */
import { parseModel, readModelBytes, type Model } from '../model/model.js';

export interface LoadedModel {
  model: Model;
  bytes: Uint8Array;
}

/** An unreadable, special or oversized file is an InputFileError (readModelBytes), a malformed one a ModelFormatError. */
export function loadModelFile(path: string): LoadedModel {
  const bytes = new Uint8Array(readModelBytes(path));
  return { model: parseModel(bytes), bytes };
}
