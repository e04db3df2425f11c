/**
 * `mechcert eval --backend cpu|webgpu|auto` end to end: the same count on every backend present; `webgpu` without an
 * adapter is refused in one line naming the reason; `auto` says which backend it chose.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { writeModel } from '../../src/model/model.js';
import { randomModel, webgpuUnavailable } from './models.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mechcert-backend-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const PATH = join(dir, 'random.safetensors');
writeModel(PATH, randomModel(4, 12, 16, 8, 11));

const noAdapter = await webgpuUnavailable();

function run(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/mechcert.js', 'eval', PATH, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

describe('mechcert eval --backend', () => {
  it('cpu and auto agree, and auto says what it chose', async () => {
    const cpu = await run(['--json', '--backend', 'cpu']);
    expect(cpu.status).toBe(0);
    const auto = await run(['--json', '--backend', 'auto']);
    expect(auto.status).toBe(0);
    expect(auto.stderr).toMatch(/backend auto: using (cpu|webgpu)/);
    expect(JSON.parse(auto.stdout).correct).toBe(JSON.parse(cpu.stdout).correct);
  });

  it.skipIf(noAdapter !== undefined)(`webgpu gives the cpu's count${noAdapter ? ` (NOT RUN, no WebGPU adapter: ${noAdapter})` : ''}`, async () => {
    const cpu = JSON.parse((await run(['--json', '--backend', 'cpu'])).stdout);
    const gpu = await run(['--json', '--backend', 'webgpu']);
    expect(gpu.status).toBe(0);
    const out = JSON.parse(gpu.stdout);
    expect(out).toMatchObject({ backend: 'webgpu', exhaustive: true, correct: cpu.correct, total: String(12 ** 4) });
  });

  it.skipIf(noAdapter === undefined)('webgpu without an adapter is refused in one line with exit code 2', async () => {
    const r = await run(['--backend', 'webgpu']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    // Dawn's native code may print its own "Warning: ..." lines first; mechcert's is one line, the last.
    const ours = r.stderr.split('\n').filter((l) => l.startsWith('mechcert:'));
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatch(/^mechcert: --backend webgpu: .*adapter/);
  });
});
