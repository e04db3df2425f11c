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
    expect(out).toMatchObject({ method: 'exhaustive', exhaustive: true, correct: String(exact.correct), total: '1296', accuracy: exact.accuracy, modelSha256: SHA, threads: 2, backend: 'cpu', k: 4, vocab: 6 });
  });

  it('prints a readable summary without --json, and no progress noise when stderr is not a terminal', async ({ expect }) => {
    const r = await run(['bin/mechcert.js', 'eval', PATH]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/method +exhaustive: all 6\^4 = 1296 sequences/);
    expect(r.stdout).toMatch(/correct +\d+ \/ 1296/);
    expect(r.stdout).toContain(SHA);
  });

  it('--samples gives a uniform estimate labelled as such, with its interval', async ({ expect }) => {
    const json = JSON.parse((await run(['bin/mechcert.js', 'eval', PATH, '--json', '--samples', '4000', '--seed', '3'])).stdout);
    expect(json).toMatchObject({ method: 'uniform', exhaustive: false, samples: 4000, seed: '3', sequences: '1296', interval: { confidence: 0.95, kind: 'Wilson score' } });
    expect(json.interval.lower).toBeLessThanOrEqual(json.estimate);
    expect(json.interval.upper).toBeGreaterThanOrEqual(json.estimate);
    expect(json).not.toHaveProperty('accuracy');
    const text = await run(['bin/mechcert.js', 'eval', PATH, '--samples', '4000', '--confidence', '0.99']);
    expect(text.stdout).toMatch(/SAMPLED ESTIMATE, not exhaustive/);
    expect(text.stdout).toMatch(/99\.0% Wilson interval/);
  });

  it('--method stratified gives the stratified estimate, labelled, whose interval holds the exhaustive count', async ({ expect }) => {
    const exact = await evaluateExhaustive(parseModel(serializeModel(MODEL)), { threads: 1 });
    const json = JSON.parse((await run(['bin/mechcert.js', 'eval', PATH, '--json', '--method', 'stratified', '--per-stratum', '4', '--confidence', '0.999'])).stdout);
    expect(json).toMatchObject({ method: 'stratified', exhaustive: false, perStratum: 4, seed: '0', interval: { confidence: 0.999 } });
    expect(json.sampledStrata).toBeGreaterThan(0);
    expect(json.interval.lower).toBeLessThanOrEqual(exact.accuracy);
    expect(json.interval.upper).toBeGreaterThanOrEqual(exact.accuracy);
    const text = await run(['bin/mechcert.js', 'eval', PATH, '--method', 'stratified']);
    expect(text.stdout).toMatch(/STRATIFIED ESTIMATE, not exhaustive \(--method stratified\)/);
    expect(text.stdout).toMatch(/95\.0% normal interval \[[0-9.e-]+, [0-9.e-]+\].*an estimate, not a count or a proof/);
  });

  it('estimates by strata when V^K exceeds 2^31, and refuses an exhaustive count there in one line', async ({ expect }) => {
    const path = join(dir, 'k12.safetensors');
    writeFileSync(path, serializeModel(solverModel(12, 6, 1)));
    const auto = await run(['bin/mechcert.js', 'eval', path, '--json', '--threads', '1']);
    expect(JSON.parse(auto.stdout)).toMatchObject({
      method: 'stratified', exhaustive: false, perStratum: 5, sequences: String(6n ** 12n),
      reason: `V^K = 6^12 = ${6n ** 12n} sequences exceeds the exhaustive limit of 2^31`,
    });
    const refused = await run(['bin/mechcert.js', 'eval', path, '--method', 'exhaustive']);
    expect(refused.status).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toBe(`mechcert: V^K = 6^12 = ${6n ** 12n} sequences exceeds the exhaustive limit of 2^31: use --method stratified (the default here) or --method uniform for an estimate\n`);
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
    [['--method', 'exact'], /--method must be one of exhaustive, stratified, uniform \(got "exact"\)/],
    [['--method', 'stratified', '--samples', '10'], /--samples sets the uniform sample; with --method stratified it has no meaning/],
    [['--per-stratum', '1'], /--per-stratum must be an integer from 2/],
    [['--samples', '10', '--per-stratum', '3'], /--samples \(uniform\) and --per-stratum \(stratified\) name different methods/],
    [['--confidence', '95'], /--confidence must be a number strictly between 0 and 1/],
  ] as Array<[string[], RegExp]>)('refuses %j with one line and exit code 2', async ([flags, message], { expect }) => {
    const r = await run(['bin/mechcert.js', 'eval', PATH, ...flags]);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^mechcert: [^\n]+\n$/);
    expect(r.stderr).toMatch(message);
    expect(r.status).toBe(2);
  });
});
