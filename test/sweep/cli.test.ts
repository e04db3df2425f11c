/**
 * `mechcert sweep` refuses a mistake in its flags (a strategy name, --n, the report folder, a Redis that does not
 * answer) in one line with exit code 2 before it trains anything. `--backend`: an unknown name is refused in one line with exit code 2; a tiny sweep on webgpu (where
 * Dawn finds an adapter, lavapipe included; otherwise skipped, saying why) trains on the GPU, caches its models under
 * another key than cpu's, proves, checks and exits. The train cache key of a cpu sweep is the one from before
 * backends existed, so that existing caches stay valid.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { webgpuUnavailable } from '../backend/models.js';
import { readModel } from '../../src/model/model.js';
import { modelFileName, settingsKey, type TrainSettings } from '../../src/sweep/cache.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mechcert-sweep-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const noAdapter = await webgpuUnavailable();

function mechcert(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/mechcert.js', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

const TINY = ['--seeds', '3,7', '--k', '2', '--vocab', '4', '--d-model', '8', '--d-head', '8', '--steps', '60', '--batch', '32', '--lr', '0.01', '--strategies', 'brute-force,cubic', '--no-png', '--model-plots', '0'];
const SETTINGS: TrainSettings = { k: 2, vocab: 4, seed: 3, dModel: 8, dHead: 8, steps: 60, batch: 32, lr: 0.01 };

describe('sweep train cache key', () => {
  it('is unchanged for cpu and differs for webgpu', () => {
    const legacy = createHash('sha256')
      .update(JSON.stringify({ trainer: 'mechcert-train/1', dModel: 8, dHead: 8, steps: 60, batch: 32, lr: 0.01 }))
      .digest('hex')
      .slice(0, 10);
    expect(settingsKey(SETTINGS)).toBe(legacy);
    expect(settingsKey({ ...SETTINGS, backend: 'cpu' })).toBe(legacy);
    expect(modelFileName({ ...SETTINGS, backend: 'cpu' })).toBe(`max2-v4-s3-${legacy}.safetensors`);
    expect(settingsKey({ ...SETTINGS, backend: 'webgpu' })).not.toBe(legacy);
  });
});

describe('mechcert sweep checks its flags before any training', () => {
  const refused = join(dir, 'refused');
  it.each([
    ['a typo in a strategy name', ['--strategies', 'brute-force,cubc', '--out', refused], /^mechcert: --strategies: unknown strategy "cubc" \(did you mean "cubic"\?\); `mechcert strategies` lists all \d+$/],
    ['a pattern that matches nothing', ['--strategies', 'subcubik/*', '--out', refused], /^mechcert: --strategies: no strategy matches "subcubik\/\*"/],
    ['more seeds than the paper has', ['--n', '152', '--out', refused], /^mechcert: --n must be at most 151/],
    ['a report folder that is a file', ['--seeds', '3', '--out', join(ROOT, 'package.json')], /^mechcert: cannot write into ".*package\.json": it is not a directory$/],
    // Nothing listens on port 1: ioredis would retry forever; the sweep gives up after REDIS_CONNECT_TIMEOUT_MS.
    ['a Redis that does not answer', ['--seeds', '3', '--redis', 'redis://127.0.0.1:1', '--out', refused], /^mechcert: --redis: no answer from Redis at redis:\/\/127\.0\.0\.1:1 within 10 s: is a redis-server running there\?$/],
  ])('refuses %s in one line with exit code 2, and trains nothing', async (_, args, message) => {
    const cache = join(dir, 'refused-cache');
    const r = await mechcert(['sweep', '--k', '2', '--vocab', '4', '--steps', '60', ...args, '--cache', cache]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(message)]);
    expect(existsSync(cache)).toBe(false);
    expect(existsSync(refused)).toBe(false);
  });
});

describe('mechcert sweep --backend', () => {
  it('refuses an unknown backend in one line with exit code 2', async () => {
    const r = await mechcert(['sweep', ...TINY, '--backend', 'bogus', '--out', join(dir, 'never'), '--cache', join(dir, 'never-cache')]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(/^mechcert: --backend must be one of cpu, webgpu, auto/)]);
  });

  it.skipIf(noAdapter !== undefined)(`runs a tiny sweep on webgpu${noAdapter ? ` (NOT RUN, no WebGPU adapter: ${noAdapter})` : ''}`, async () => {
    const cache = join(dir, 'webgpu-cache');
    const r = await mechcert(['sweep', ...TINY, '--workers', '2', '--backend', 'webgpu', '--out', join(dir, 'webgpu-out'), '--cache', cache]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/backend webgpu/);
    expect(r.stdout).toMatch(/6 jobs: 6 done \(0 cached\), 0 failed/);
    const key = settingsKey({ ...SETTINGS, backend: 'webgpu' });
    const models = readdirSync(join(cache, 'models')).sort();
    expect(models).toEqual([`max2-v4-s3-${key}.safetensors`, `max2-v4-s7-${key}.safetensors`]);
    const training = JSON.parse(readModel(join(cache, 'models', models[0])).metadata.training) as Record<string, unknown>;
    expect(training.gradient).toMatch(/^float32 trainStepGradient kernel on webgpu/);
  });
});
