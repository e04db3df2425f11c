/**
 * Fuzzing the checker with fast-check, beyond the fixtures: random JSON, random bytes, random mutations of valid
 * certificates (any value anywhere replaced, removed or added) and random bytes as models. checkCertificate never
 * throws, and never verifies a claim above the float count of possibly-correct sequences on the tiny models.
 * Fixed seed in CI; MECHCERT_FUZZ_RUNS=N (and MECHCERT_FUZZ_SEED) for a longer run on demand.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkCertificate } from '../../checker/check.js';
import { loadBases, type Base } from '../../scripts/mutate.js';

const RUNS = Number(process.env.MECHCERT_FUZZ_RUNS ?? 150);
const SEED = Number(process.env.MECHCERT_FUZZ_SEED ?? 20261124);
const params = { numRuns: RUNS, seed: SEED };
const enc = (x: unknown) => new TextEncoder().encode(typeof x === 'string' ? x : JSON.stringify(x));

let bases: Base[] = [];
beforeAll(async () => { bases = await loadBases(); }, 60_000);

type Path = (string | number)[];
/** Every path to a value in a JSON tree (objects and arrays included). */
function paths(x: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(x)) x.forEach((v, i) => paths(v, [...at, i], out));
  else if (x && typeof x === 'object') for (const [k, v] of Object.entries(x)) paths(v, [...at, k], out);
  return out;
}

const leafish = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc.integer({ min: -3, max: 70 }),
  fc.constantFrom('0', '1', '-1', '1/3', '0.5', '', null, [], {}, '-0', '00', '1e3', 'ff'),
);

describe('fuzz', () => {
  it('random JSON is never verified and never throws', async () => {
    await fc.assert(fc.asyncProperty(fc.jsonValue(), fc.integer({ min: 0, max: bases.length - 1 }), async (j, b) => {
      const v = await checkCertificate(enc(j), bases[b].modelBytes);
      expect(v.verified).toBe(false);
    }), params);
  }, 60_000);

  it('random bytes are never verified and never throw', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (bytes) => {
      const v = await checkCertificate(bytes, bases[0].modelBytes);
      expect(v.verified).toBe(false);
    }), params);
  }, 60_000);

  it('mutated valid certificates never verify a claim above the true count', async () => {
    const mutation = fc.record({
      base: fc.nat(), path: fc.nat(), op: fc.constantFrom('set', 'delete', 'add', 'set', 'set'), value: leafish, key: fc.string({ maxLength: 8 }),
      times: fc.integer({ min: 1, max: 3 }),
    });
    await fc.assert(fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (ms) => {
      const base = bases[ms[0].base % bases.length];
      const c = structuredClone(base.cert) as Record<string, unknown>;
      for (const m of ms) {
        const ps = paths(c).filter((p) => p.length > 0);
        const p = ps[m.path % ps.length];
        let parent = c as Record<string | number, unknown>;
        for (const k of p.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
        const last = p[p.length - 1];
        if (m.op === 'set') parent[last] = m.value;
        else if (m.op === 'delete') { if (Array.isArray(parent)) parent.splice(last as number, 1); else delete parent[last]; }
        else if (Array.isArray(parent)) parent.splice(last as number, 0, m.value);
        else parent[m.key || 'x'] = m.value;
      }
      const v = await checkCertificate(enc(c), base.modelBytes);
      if (v.verified) {
        expect(BigInt(v.claim.correct) <= base.possible, `${base.name}: verified ${v.claim.correct} > ${base.possible}`).toBe(true);
        expect(v.modelSha256).toBe(base.cert && (base.cert.claim as { modelSha256: string }).modelSha256);
      }
    }), { ...params, numRuns: RUNS * 4 });
  }, 60_000);

  it('random bytes as a model (with a certificate claiming their SHA-256) are rejected', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), fc.boolean(), async (bytes, withHeader) => {
      let model = bytes;
      if (withHeader) {
        model = new Uint8Array(8 + bytes.length);
        new DataView(model.buffer).setBigUint64(0, BigInt(Math.min(bytes.length, bytes[0] ?? 0)), true);
        model.set(bytes, 8);
      }
      const c = structuredClone(bases[0].cert) as { claim: { modelSha256: string } };
      c.claim.modelSha256 = createHash('sha256').update(model).digest('hex');
      const v = await checkCertificate(enc(c), model);
      expect(v.verified).toBe(false);
      if (!v.verified) expect(v.error.rule).toBe('model');
    }), params);
  }, 60_000);
});
