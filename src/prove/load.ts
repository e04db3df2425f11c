/**
 * Reads a model file once, keeping its bytes (the checker needs them, and the SHA-256 names them).
 * Copies into a plain Uint8Array: parseModel must not see a Buffer that is a view into a larger pooled allocation.
 */
import { readFileSync } from 'node:fs';
import { ModelFormatError, parseModel, type Model } from '../model/model.js';

export interface LoadedModel {
  model: Model;
  bytes: Uint8Array;
}

export function loadModelFile(path: string): LoadedModel {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new ModelFormatError(`cannot read model file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return { model: parseModel(bytes), bytes };
}
