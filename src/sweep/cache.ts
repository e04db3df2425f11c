/**
 * The sweep's and the report's on-disk cache (default `.mechcert-cache/`, gitignored), so that reruns resume:
 *
 *   models/max{K}-v{V}-s{seed}-{settingsKey}.safetensors   trained models, keyed by every training setting (the
 *                                                          training backend included, where it is not cpu)
 *   results/{code}/{modelSha256}/{strategy}.json             one checked proof's metrics (src/report/metrics.ts)
 *   certificates/{code}/{modelSha256}/{strategy}.json.gz     the certificate itself, gzipped (when it was kept)
 *
 * `{code}` fingerprints the source of the prover, the checker and the schemas (PROOF_CODE_FINGERPRINT): a result
 * proved or checked by other code is never reused. Every file is written atomically (temporary name, then rename),
 * so an interrupted run leaves either the whole entry or none. A result is only reused when its `cacheVersion`
 * matches RESULT_CACHE_VERSION.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendName } from '../backend/registry.js';
import { writeFileAtomic } from '../util/atomic.js';

export const DEFAULT_CACHE_DIR = '.mechcert-cache';

/** Bump when the meaning of a cached result changes (metric definitions, prover or checker contract). */
export const RESULT_CACHE_VERSION = 1;

// The repository root, from src/sweep/cache.ts and from its build, dist/sweep/cache.js alike (dist/ mirrors src/ one
// level below the root; tsconfig.build.json). The fingerprint always hashes the sources, so a built run and a run from
// source share the cache.
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** SHA-256 (first 12 hex digits) over the path and bytes of every file under src/prove, checker and schemas. */
function proofCodeFingerprint(): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(path);
      } else {
        hash.update(`${relative(REPO_ROOT, path)}\0`).update(readFileSync(path)).update('\0');
      }
    }
  };
  for (const dir of ['src/prove', 'checker', 'schemas']) walk(join(REPO_ROOT, dir));
  return hash.digest('hex').slice(0, 12);
}

export const PROOF_CODE_FINGERPRINT = proofCodeFingerprint();

/** Everything that determines a trained model (src/train/train.ts is deterministic from these). */
export interface TrainSettings {
  k: number;
  vocab: number;
  seed: number;
  dModel: number;
  dHead: number;
  steps: number;
  batch: number;
  lr: number;
  /** Where each step's gradient is computed (default cpu). webgpu's float32 gradients give another model. */
  backend?: BackendName;
}

/**
 * A short stable key for the settings other than K, V and the seed (those are spelled out in the file name). The
 * backend enters the key only when it is not cpu, so that keys (and cached files) from before it existed stay valid.
 * It is the backend's name, not its device: models trained on two different GPUs share a key although float32
 * rounding may differ between them (each model's metadata names the device it was trained on).
 */
export function settingsKey(s: TrainSettings): string {
  const backend = s.backend === undefined || s.backend === 'cpu' ? {} : { backend: s.backend };
  const canonical = JSON.stringify({ trainer: 'mechcert-train/1', dModel: s.dModel, dHead: s.dHead, steps: s.steps, batch: s.batch, lr: s.lr, ...backend });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 10);
}

export function modelFileName(s: TrainSettings): string {
  return `max${s.k}-v${s.vocab}-s${s.seed}-${settingsKey(s)}.safetensors`;
}

/** Strategy names contain `/` (subcubic variants); file names must not. */
export function strategyFileName(strategy: string): string {
  return strategy.replace(/[^A-Za-z0-9._+-]/g, (c) => `~${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export class SweepCache {
  readonly dir: string;
  constructor(dir: string = DEFAULT_CACHE_DIR) {
    this.dir = resolve(dir);
  }

  modelPath(s: TrainSettings): string {
    return join(this.dir, 'models', modelFileName(s));
  }

  resultPath(modelSha256: string, strategy: string): string {
    return join(this.dir, 'results', PROOF_CODE_FINGERPRINT, modelSha256, `${strategyFileName(strategy)}.json`);
  }

  certificatePath(modelSha256: string, strategy: string): string {
    return join(this.dir, 'certificates', PROOF_CODE_FINGERPRINT, modelSha256, `${strategyFileName(strategy)}.json.gz`);
  }

  /** The cached value for (model, strategy), or undefined when absent, unreadable or from another cache version. */
  readResult<T extends { cacheVersion: number }>(modelSha256: string, strategy: string): T | undefined {
    const path = this.resultPath(modelSha256, strategy);
    if (!existsSync(path)) return undefined;
    try {
      const value = JSON.parse(readFileSync(path, 'utf8')) as T;
      return value.cacheVersion === RESULT_CACHE_VERSION ? value : undefined;
    } catch {
      return undefined;
    }
  }

  writeResult(modelSha256: string, strategy: string, value: { cacheVersion: number }): void {
    writeFileAtomic(this.resultPath(modelSha256, strategy), `${JSON.stringify(value, null, 2)}\n`);
  }

  writeCertificateGzip(modelSha256: string, strategy: string, gz: Uint8Array): void {
    writeFileAtomic(this.certificatePath(modelSha256, strategy), gz);
  }
}
