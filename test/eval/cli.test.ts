/** `mechcert eval` end to end: the CLI as users run it (bin/mechcert.js, tsx registered through its API). */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, it } from 'vitest';
import { evaluateExhaustive } from '../../src/eval/exhaustive.js';
import { parseModel, serializeModel, writeModel } from '../../src/model/model.js';
import { solverModel } from '../model/random-model.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mechcert-eval-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MODEL = solverModel(4, 6, 3);
const PATH = join(dir, 'solver.safetensors');
const SHA = writeModel(PATH, MODEL);

function run(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

describe.concurrent('mechcert eval', () => {
  it('--json prints the exhaustive count with decimal-string counts and the model hash, on worker threads', async ({ expect }) => {
    const exact = await evaluateExhaustive(parseModel(serializeModel(MODEL)), { threads: 1 });
    const r = await run(['bin/mechcert.js', 'eval', PATH, '--json', '--threads', '2']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ exhaustive: true, correct: String(exact.correct), total: '1296', accuracy: exact.accuracy, modelSha256: SHA, threads: 2, backend: 'cpu', k: 4, vocab: 6 });
  });

  it('prints a readable summary without --json, and no progress noise when stderr is not a terminal', async ({ expect }) => {
    const r = await run(['bin/mechcert.js', 'eval', PATH]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/method +exhaustive: all 6\^4 = 1296 sequences/);
    expect(r.stdout).toMatch(/correct +\d+ \/ 1296/);
    expect(r.stdout).toContain(SHA);
  });

  it('--samples gives an estimate labelled as sampled, with a 95% interval', async ({ expect }) => {
    const json = JSON.parse((await run(['bin/mechcert.js', 'eval', PATH, '--json', '--samples', '4000', '--seed', '3'])).stdout);
    expect(json).toMatchObject({ exhaustive: false, estimate: 'uniform random sample', total: '4000', samples: 4000, seed: '3', sequences: '1296' });
    expect(json.ci95.lower).toBeLessThanOrEqual(json.accuracy);
    expect(json.ci95.upper).toBeGreaterThanOrEqual(json.accuracy);
    const text = await run(['bin/mechcert.js', 'eval', PATH, '--samples', '4000']);
    expect(text.stdout).toMatch(/SAMPLED ESTIMATE, not exhaustive/);
    expect(text.stdout).toMatch(/95% Wilson interval/);
  });

  it('samples automatically when V^K exceeds 2^28', async ({ expect }) => {
    const path = join(dir, 'k12.safetensors');
    writeFileSync(path, serializeModel(solverModel(12, 6, 1)));
    const r = await run(['bin/mechcert.js', 'eval', path, '--json', '--samples', '2000']);
    expect(JSON.parse(r.stdout)).toMatchObject({ exhaustive: false, sequences: String(6n ** 12n) });
    const auto = await run(['bin/mechcert.js', 'eval', path, '--json', '--threads', '1']);
    expect(JSON.parse(auto.stdout)).toMatchObject({ exhaustive: false, samples: 2 ** 20, reason: `V^K = ${6n ** 12n} exceeds 2^28` });
  });

  it('runs its workers under plain `node --import tsx` as well', async ({ expect }) => {
    const script = join(dir, 'direct.mts');
    writeFileSync(script, [
      `import { evaluateExhaustive } from ${JSON.stringify(join(ROOT, 'src/eval/exhaustive.ts'))};`,
      `import { readModel } from ${JSON.stringify(join(ROOT, 'src/model/model.ts'))};`,
      `const r = await evaluateExhaustive(readModel(${JSON.stringify(PATH)}), { threads: 2 });`,
      'console.log(JSON.stringify(r));',
    ].join('\n'));
    const exact = await evaluateExhaustive(parseModel(serializeModel(MODEL)), { threads: 1 });
    const r = await run(['--import', 'tsx', script]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(exact);
  });

  it.for([
    [['--backend', 'cuda'], /--backend must be one of cpu, webgpu, auto \(got "cuda"\)/],
    [['--threads', '0'], /--threads must be an integer from 1 to 1024/],
    [['--samples', 'many'], /--samples must be an integer/],
    [['--seed', '-1'], /--seed must be an integer from 0/],
  ] as Array<[string[], RegExp]>)('refuses %j with one line and exit code 2', async ([flags, message], { expect }) => {
    const r = await run(['bin/mechcert.js', 'eval', PATH, ...flags]);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^mechcert: [^\n]+\n$/);
    expect(r.stderr).toMatch(message);
    expect(r.status).toBe(2);
  });
});
