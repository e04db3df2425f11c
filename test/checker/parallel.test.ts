/**
 * Parallel brute-force checking (checker/parallel.ts): the verdict with worker threads is the same as the
 * single-threaded reference path (`threads: 1`), for certificates that verify and for ones that are rejected.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCertificate, type Verdict } from '../../checker/check.js';

const root = join(import.meta.dirname, '../..');
const fixtures = join(root, 'test/fixtures');
const models = new Map<string, Uint8Array>();
for (const dir of [join(fixtures, 'models'), join(root, 'models')]) {
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.safetensors'))) {
    const b = readFileSync(join(dir, f));
    models.set(createHash('sha256').update(b).digest('hex'), b);
  }
}
const modelOf = (cert: Uint8Array): Uint8Array =>
  models.get((JSON.parse(new TextDecoder().decode(cert)) as { claim: { modelSha256: string } }).claim.modelSha256) ?? models.values().next().value!;
/** The verdict without the fields that may legitimately differ (none today; kept explicit). */
const essence = (v: Verdict) => JSON.stringify(v);

const bruteForce = (dir: string) => readdirSync(join(fixtures, dir))
  .filter((f) => f.endsWith('.json') && readFileSync(join(fixtures, dir, f), 'utf8').includes('"brute-force-count"'))
  .map((f) => join(fixtures, dir, f));

describe('parallel brute-force checking', () => {
  for (const path of [...bruteForce('pass'), ...bruteForce('fail')]) {
    it(`${path.slice(fixtures.length + 1)}: threads 3 gives the verdict of threads 1`, async () => {
      const cert = readFileSync(path);
      const model = modelOf(cert);
      const one = await checkCertificate(cert, model, { threads: 1 });
      const three = await checkCertificate(cert, model, { threads: 3 });
      expect(essence(three)).toBe(essence(one));
    }, 30_000);
  }

  it('a committed V = 64 brute-force certificate: same verdict, count and operation count with 2 threads', async () => {
    const cert = readFileSync(join(root, 'certificates/max4-v64-s50.brute-force.json'));
    const model = modelOf(cert);
    const one = await checkCertificate(cert, model, { threads: 1 });
    const two = await checkCertificate(cert, model, { threads: 2 });
    expect(one.verified).toBe(true);
    expect(essence(two)).toBe(essence(one));
  }, 60_000);
});
