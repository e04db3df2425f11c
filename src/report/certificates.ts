/**
 * The report folder's copy of what it reports, so that every bound can be re-checked from the folder alone:
 *
 *   certificates/<model>/<strategy>.json.gz   the certificate (gzipped JSON, as mechcert-check reads it); the "/" of
 *                                             a strategy name become folders: certificates/m/subcubic/a/b/c.json.gz
 *   models/<model>.safetensors                the model those certificates are about
 *
 * Certificates come from the result cache (src/sweep/cache.ts). One is taken only when the SHA-256 of its JSON text
 * is the one the checker reported for the row, so the file beside a bound is the file that was checked. It is
 * hard-linked where the file system allows (the cache only ever replaces its files by rename, never rewrites one in
 * place, so a link keeps the checked bytes), and copied otherwise.
 */
import { createHash } from 'node:crypto';
import { existsSync, linkSync, lstatSync, mkdirSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readModelBytes, serializeModel, sha256Hex, type Model } from '../model/model.js';
import type { SweepCache } from '../sweep/cache.js';
import { OutputPathError, writeFileAtomic } from '../util/atomic.js';
import type { ReportRow } from './metrics.js';

export interface ReportModel {
  model: Model;
  label: string;
  /** The file it was read from, when known; otherwise its bytes are re-serialized (and kept only if the hash agrees). */
  path?: string;
}

export interface PlacedArtifacts {
  /** The rows, each with certificateFile set (relative to the report folder, or null). */
  rows: ReportRow[];
  /** Per model SHA-256: its file inside the report folder, or null where its bytes could not be had. */
  modelFiles: Map<string, string | null>;
  /** Every file written, with the report folder in front. */
  files: string[];
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9._+-]/g, '_').replace(/^\.+$/, '_');

/** Folder names per model: its label, with a short hash where two models share a label. */
function modelDirs(models: Map<string, ReportModel>): Map<string, string> {
  const counts = new Map<string, number>();
  for (const { label } of models.values()) counts.set(safe(label), (counts.get(safe(label)) ?? 0) + 1);
  return new Map([...models].map(([sha, { label }]) => [sha, counts.get(safe(label))! > 1 ? `${safe(label)}-${sha.slice(0, 8)}` : safe(label)]));
}

export function certificateName(modelDir: string, strategy: string): string {
  return join('certificates', modelDir, ...strategy.split('/').map(safe)) + '.json.gz';
}

function modelBytes(m: ReportModel): Uint8Array | null {
  const bytes = m.path ? readModelBytes(m.path) : serializeModel(m.model);
  return sha256Hex(bytes) === m.model.sha256 ? bytes : null;
}

/** The cached certificate of a row when it is the one the checker hashed, else null. */
function checkedCertificate(cache: SweepCache, row: ReportRow): string | null {
  if (row.certificateSha256 === null) return null;
  const path = cache.certificatePath(row.modelSha256, row.strategy);
  if (!existsSync(path)) return null;
  try {
    const sha = createHash('sha256').update(gunzipSync(readFileSync(path))).digest('hex');
    return sha === row.certificateSha256 ? path : null;
  } catch {
    return null; // unreadable or not gzip: not the checked certificate
  }
}

/** Puts `src` at `dest` as a hard link, or an atomic copy where linking fails (another file system, no permission). */
function linkOrCopy(src: string, dest: string): void {
  let existing;
  try {
    existing = lstatSync(dest);
  } catch {
    // nothing there yet
  }
  if (existing && !existing.isFile()) throw new OutputPathError(`cannot write ${JSON.stringify(dest)}: it is not a regular file`);
  mkdirSync(dirname(dest), { recursive: true });
  const tmp = join(dirname(dest), `.${basename(dest)}.${process.pid}.tmp`);
  try {
    linkSync(src, tmp);
    renameSync(tmp, dest);
  } catch {
    try { unlinkSync(tmp); } catch { /* never made */ }
    writeFileAtomic(dest, readFileSync(src));
  }
}

/** Writes models/ and certificates/ into the report folder and sets each row's certificateFile. */
export function placeArtifacts(rows: ReportRow[], models: Map<string, ReportModel>, outDir: string, cache: SweepCache): PlacedArtifacts {
  const dirs = modelDirs(models);
  const files: string[] = [];
  const modelFiles = new Map<string, string | null>();
  for (const [sha, m] of models) {
    const bytes = modelBytes(m);
    const name = join('models', `${dirs.get(sha)}.safetensors`);
    if (bytes) {
      writeFileAtomic(join(outDir, name), bytes);
      files.push(join(outDir, name));
    }
    modelFiles.set(sha, bytes ? name : null);
  }
  const placed = rows.map((row) => {
    const dir = dirs.get(row.modelSha256);
    const src = dir === undefined ? null : checkedCertificate(cache, row);
    if (dir === undefined || src === null) return { ...row, certificateFile: null };
    const name = certificateName(dir, row.strategy);
    linkOrCopy(src, join(outDir, name));
    files.push(join(outDir, name));
    return { ...row, certificateFile: name };
  });
  return { rows: placed, modelFiles, files };
}

/** The command that re-checks a certificate, as words (a flag with its value is one word): run in the report folder. */
export function recheckCommand(certificateFile: string, modelFile: string | null, modelSha256: string): string[] {
  return ['npx', 'mechcert-check', certificateFile, `--model ${modelFile ?? `<the model file with SHA-256 ${modelSha256}>`}`];
}
