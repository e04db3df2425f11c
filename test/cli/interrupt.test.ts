/**
 * Ctrl-C through the real CLI: the built `mechcert` is started, its first progress line awaited, and SIGINT sent. Each
 * command then says what the interruption left (what was saved, that nothing was written, how to resume) and ends by
 * SIGINT (status 130 in a shell), with no output file, half-written or whole, where it had not finished; an
 * interrupted sweep resumes from its cache when the same command runs again.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseModel } from '../../src/model/model.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mechcert-interrupt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `mechcert args`, sends SIGINT `after` ms after stderr has a line matching `ready` (and again `again` ms later,
 * if given), and resolves when the process has ended.
 */
function interrupt(args: string[], ready: RegExp, timing: { after?: number; again?: number } = {}): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/mechcert.js', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    const send = () => {
      child.kill('SIGINT');
      if (timing.again !== undefined) setTimeout(() => child.kill('SIGINT'), timing.again);
    };
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (sent || !stderr.split('\n').slice(0, -1).some((line) => ready.test(line))) return;
      sent = true;
      setTimeout(send, timing.after ?? 0);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

function mechcert(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/mechcert.js', ...args], { cwd: ROOT, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Every file under `root`, relative to it. */
function filesUnder(root: string): string[] {
  return existsSync(root) ? readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(root.length + 1)) : [];
}

describe('Ctrl-C during train', () => {
  it('says at which step it stopped and that nothing was written, and writes nothing', async () => {
    const out = join(dir, 'train', 'model.safetensors');
    const r = await interrupt(['train', '--k', '3', '--vocab', '8', '--d-model', '8', '--d-head', '8', '--batch', '16', '--steps', '200000', '--seed', '1', '--out', out], /^train: step \d+\/200000/);
    expect(r.signal, r.stderr).toBe('SIGINT');
    expect(r.stderr.trimEnd().split('\n').at(-1)).toMatch(new RegExp(`^train: interrupted at step \\d+ of 200000; nothing was written to ${escape(out)} \\(the same command trains from the start again\\)$`));
    expect(filesUnder(join(dir, 'train'))).toEqual([]);
  });
});

describe('Ctrl-C during prove', () => {
  it('says which phase it stopped in and that nothing was written, and writes nothing', async () => {
    const out = join(dir, 'prove', 'bf.json');
    const r = await interrupt(['prove', 'models/max4-v64-s123.safetensors', '--strategy', 'brute-force', '--out', out], /^prove: /);
    expect(r.signal, r.stderr).toBe('SIGINT');
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n').at(-1)).toMatch(/^prove: interrupted during (exp tables|sequences); nothing was written to .*bf\.json$/);
    expect(filesUnder(join(dir, 'prove'))).toEqual([]);
  });
});

describe('Ctrl-C during report', () => {
  it('stops between two proofs, says that the finished ones are cached and that no report was written', async () => {
    const [out, cache] = [join(dir, 'report-out'), join(dir, 'report-cache')];
    const r = await interrupt(['report', 'models/max4-v64-s123.safetensors', '--strategies', 'cubic,subcubic/*', '--no-png', '--out', out, '--cache', cache], /^report: \[1\//);
    expect(r.signal, r.stderr).toBe('SIGINT');
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n').slice(-2)).toEqual([
      `report: interrupted; ${join(out, 'report.md')} was not written`,
      `report: the proofs checked so far are saved in ${cache}: to resume, run the same command again, and it takes them from there`,
    ]);
    expect(existsSync(out)).toBe(false);
    expect(filesUnder(cache).length).toBeGreaterThan(0);
  });
});

describe('Ctrl-C during sweep', () => {
  const sweep = (steps: number, name: string) => ['sweep', '--seeds', '1,2,3', '--k', '3', '--vocab', '8', '--d-model', '8', '--d-head', '8', '--batch', '16',
    '--steps', String(steps), '--workers', '1', '--strategies', 'brute-force', '--no-png', '--model-plots', '0', '--out', join(dir, `${name}-out`), '--cache', join(dir, `${name}-cache`)];

  it('lets the running job finish, says what the cache holds and how to resume, writes no report; the same command resumes', async () => {
    const args = sweep(3000, 'once');
    const [out, cache] = [join(dir, 'once-out'), join(dir, 'once-cache')];
    const r = await interrupt(args, /^sweep: 3 seed\(s\)/);
    expect(r.signal, r.stderr).toBe('SIGINT');
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toContain('sweep: interrupted: no new job starts; waiting for the running ones, whose results are cached (Ctrl-C again to stop now)');
    const [models, proofs] = lines.at(-2)?.match(/^sweep: saved in .*: (\d) of 3 trained models.*, (\d) of 3 checked proofs$/)?.slice(1).map(Number) ?? [NaN, NaN];
    const left = 6 - models - proofs;
    expect(lines.slice(-3)).toEqual([
      `sweep: interrupted; no report was written to ${out}`,
      expect.stringMatching(new RegExp(`^sweep: saved in ${escape(cache)}: `)),
      `sweep: to resume, run the same command again: it takes these from the cache and runs the ${left} job${left === 1 ? '' : 's'} left`,
    ]);
    expect(existsSync(out)).toBe(false);
    // Whole files only, under their final names: every model parses, and no temporary file is left.
    const saved = filesUnder(cache);
    expect(saved.filter((f) => f.endsWith('.safetensors'))).toHaveLength(models);
    expect(saved.filter((f) => !/\.(safetensors|json|json\.gz)$/.test(f))).toEqual([]);
    for (const f of saved.filter((name) => name.endsWith('.safetensors'))) parseModel(new Uint8Array(readFileSync(join(cache, f))));

    const rerun = await mechcert(args);
    expect(rerun.status, rerun.stderr).toBe(0);
    expect(rerun.stdout).toContain(`6 jobs: 6 done (${models + proofs} cached), 0 failed`);
    expect(rerun.stdout).toContain(`report: ${join(out, 'report.md')}`);
  });

  it('a second Ctrl-C stops the running jobs too and says that their work is lost', async () => {
    // Training takes minutes here: the first Ctrl-C, once the job thread has started, waits for it; the second stops it.
    const r = await interrupt(sweep(2_000_000, 'twice'), /^sweep: 3 seed\(s\)/, { after: 4000, again: 500 });
    expect(r.signal, r.stderr).toBe('SIGINT');
    expect(r.stderr.trimEnd().split('\n').slice(-3)).toEqual([
      `sweep: interrupted, and the running jobs stopped (their work is lost); no report was written to ${join(dir, 'twice-out')}`,
      `sweep: saved in ${join(dir, 'twice-cache')}: 0 of 3 trained models, 0 of 3 checked proofs`,
      'sweep: to resume, run the same command again: it takes these from the cache and runs the 6 jobs left',
    ]);
    expect(existsSync(join(dir, 'twice-out'))).toBe(false);
    expect(filesUnder(join(dir, 'twice-cache')).filter((f) => f.endsWith('.safetensors'))).toEqual([]);
  });
});
