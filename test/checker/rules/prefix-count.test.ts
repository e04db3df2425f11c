/**
 * checker/rules/prefix-count.ts (SPEC §4.7): targeted mutations of the prover's mechcert/prefix and
 * mechcert/prefix-output certificates of one tiny solver model (V = 6, K = 3; decoupled cases, output cases with
 * out = top and out < top, c from 0 to K − 1), each rejected naming the step, the rule and the case, or, where the
 * mutation is neutral (sound whatever the verdict), verified with a count at most the float truth.
 *
 * Over-claiming (each must be rejected): the claim above the count; a case duplicated with its sequences claimed again;
 * top at m, out above top, a case moved to an invalid c; the mechcert/prefix label on output cases; a prefix-count
 * step in a format before 1.2; a grid entry a case reads made absent or false; expP or grid citing another kind. And
 * the evidence weakened where its sum is not below 0 on this model (asserted case by case, naming the case): top
 * raised by one (the prover keeps the largest top its search proves), out removed (an output case exists only where
 * the decoupled form failed at that top), out raised by one (the prover keeps the largest out that works), c moved.
 * Neutral: out lowered by one (one more token bounded alone, so H only falls) verifies unless it reads a grid entry
 * the search never listed; the prefix-output and prefix-budget labels on any prefix evidence; a grid entry no claimed
 * case reads set to null; the claim lowered; a case dropped with the claim lowered.
 */
import { describe, expect, it } from 'vitest';
import { checkCertificate } from '../../../checker/check.js';
import type { Certificate, InvSqrtScaleStep } from '../../../src/prove/certificate.js';
import { exactQK } from '../../../src/prove/exact.js';
import { expTable } from '../../../src/prove/exp-table.js';
import { DEFAULT_FLOAT32, float32Target, withSemantics } from '../../../src/prove/float32.js';
import { provePrefix } from '../../../src/prove/prefix.js';
import { buildModel, floatTruth } from '../../prove/models.js';

type Json = Record<string, unknown>;
interface Case { q: number; m: number; c: number; top?: number; out?: number }
interface Count { id: string; kind: string; expP: string; grid: string; positionOrder: number[][]; cases: Case[] }

const { model, bytes } = buildModel({ kind: 'solver', vocab: 6, k: 3, dModel: 6, dHead: 4, seed: 5, scale: 0.05 });
const truth = floatTruth(model).maybe;
const K = model.config.k;
const decoupled = provePrefix(model, { output: false }).certificate;
const output = provePrefix(model, { output: true }).certificate;

const steps = (c: Json) => (c.evidence as { steps: Json[] }).steps;
const countOf = (c: Json) => steps(c).at(-1) as unknown as Count;
const claim = (c: Json) => c.claim as { correct: string; strategy: string };
const binom = (n: number, k: number): bigint => (k === 0 ? 1n : (binom(n - 1, k - 1) * BigInt(n)) / BigInt(k));
const caseCount = (cs: Case) => (cs.c === 0 ? 1n : binom(K - 1, cs.c) * BigInt(cs.top! + 1) ** BigInt(cs.c));
/** The checker's name for a case in a sum's failure message. */
const named = (cs: Case) => `case (q=${cs.q}, m=${cs.m}, c=${cs.c}${cs.top === undefined ? '' : `, top=${cs.top}`}${cs.out === undefined ? '' : `, out=${cs.out}`})`;
const esc = (s: string) => s.replace(/[()[\]]/g, '\\$&');
/** The case in the decoupled form: its (q, m, c, top) alone. */
const decoupledForm = ({ q, m, c, top }: Case): Case => (top === undefined ? { q, m, c } : { q, m, c, top });

/** The verdict on a copy of `base` changed by f: 'verified N' or 'step/rule: message'. */
async function verdict(base: Certificate, f: (c: Json) => void = () => {}): Promise<string> {
  const c = JSON.parse(JSON.stringify(base)) as Json;
  f(c);
  const v = await checkCertificate(new TextEncoder().encode(JSON.stringify(c)), bytes);
  return v.verified ? `verified ${v.counted}` : `${v.error.step}/${v.error.rule}: ${v.error.message}`;
}
/** Raises the claim by the sequences a case change adds. */
const raiseBy = (c: Json, by: bigint) => { claim(c).correct = (BigInt(claim(c).correct) + by).toString(); };
/** Neutral: verified with a count at most the float count of possibly-correct sequences. */
const expectSoundIfVerified = (v: string) => {
  if (v.startsWith('verified')) expect(Number(v.split(' ')[1])).toBeLessThanOrEqual(truth);
};

describe('prefix-count: the fixture', () => {
  it('both certificates verify with N* = the claim; output cases with out = top and out < top, c = 0 … K − 1', async () => {
    expect(await verdict(decoupled)).toBe(`verified ${decoupled.claim.correct}`);
    expect(await verdict(output)).toBe(`verified ${output.claim.correct}`);
    expect(BigInt(output.claim.correct)).toBeGreaterThan(BigInt(decoupled.claim.correct));
    const cases = countOf(output as unknown as Json).cases;
    expect(cases.some((x) => x.out !== undefined && x.out === x.top)).toBe(true);
    expect(cases.some((x) => x.out !== undefined && x.out < x.top!)).toBe(true);
    expect(countOf(decoupled as unknown as Json).cases.every((x) => x.out === undefined)).toBe(true);
    expect(new Set(cases.map((x) => x.c))).toEqual(new Set([0, 1, 2]));
  });
});

describe('prefix-count: over-claiming mutations are rejected, naming the case', () => {
  const eachCase = (base: Certificate, keep: (x: Case) => boolean) => countOf(base as unknown as Json).cases.map((x, i) => [i, x] as const).filter(([, x]) => keep(x));

  it('top raised by one (claim raised by the sequences added): the raised case\'s sum is not below 0, or its ρ̂ entry is not listed', async () => {
    let n = 0;
    for (const base of [decoupled, output]) {
      for (const [i, x] of eachCase(base, (y) => y.c > 0 && y.top! < y.m - 1)) {
        const raised = { ...x, top: x.top! + 1 };
        const v = await verdict(base, (c) => { countOf(c).cases[i].top! += 1; raiseBy(c, caseCount(raised) - caseCount(x)); });
        // The prover lists only the grid entries its cases read, so the raised case may need one that is absent.
        expect(v).toMatch(new RegExp(`^count/prefix-count: ${esc(named(raised))}: ((the decoupled sum|output \\d+) with m on positions \\[[\\d,]*\\] is not below 0|ρ for the tokens 0\\.\\.\\d+ needs exp-grid entry \\d+, which is absent)`));
        n++;
      }
    }
    expect(n).toBeGreaterThanOrEqual(5);
  });

  it('out removed from an output case: the decoupled sum of that case is not below 0', async () => {
    const cases = eachCase(output, (x) => x.out !== undefined);
    expect(cases.length).toBeGreaterThanOrEqual(5);
    for (const [i, x] of cases) {
      const v = await verdict(output, (c) => { countOf(c).cases[i] = decoupledForm(x); });
      expect(v).toMatch(new RegExp(`^count/prefix-count: ${esc(named(decoupledForm(x)))}: the decoupled sum with m on positions`));
    }
  });

  it('out raised by one (one token fewer bounded alone): an output sum of that case is not below 0', async () => {
    const cases = eachCase(output, (x) => x.out !== undefined && x.out < x.top!);
    expect(cases.length).toBeGreaterThanOrEqual(3);
    for (const [i, x] of cases) {
      const v = await verdict(output, (c) => { countOf(c).cases[i].out! += 1; });
      expect(v).toMatch(new RegExp(`^count/prefix-count: ${esc(named({ ...x, out: x.out! + 1 }))}: output \\d+ with m on positions`));
    }
  });

  it('out above top, top at m, top missing on c ≥ 1, top on c = 0', async () => {
    const [i, x] = eachCase(output, (y) => y.out !== undefined && y.c > 0)[0];
    expect(await verdict(output, (c) => { countOf(c).cases[i].out = x.top! + 1; })).toMatch(new RegExp(`^count/prefix-count: case ${i} \\(q=${x.q}, m=${x.m}, c=${x.c}\\): out must be at most top`));
    const [j, y] = eachCase(decoupled, (z) => z.c > 0)[0];
    expect(await verdict(decoupled, (c) => { countOf(c).cases[j].top = y.m; raiseBy(c, caseCount({ ...y, top: y.m }) - caseCount(y)); }))
      .toMatch(new RegExp(`^count/prefix-count: case ${j} \\(q=${y.q}, m=${y.m}, c=${y.c}\\): top must be present exactly when c ≥ 1, and below m`));
    expect(await verdict(decoupled, (c) => { delete countOf(c).cases[j].top; })).toMatch(new RegExp(`^count/prefix-count: case ${j} .*: top must be present exactly when c ≥ 1`));
    const [k] = eachCase(decoupled, (z) => z.c === 0 && z.m > 0)[0];
    expect(await verdict(decoupled, (c) => { countOf(c).cases[k].top = 0; })).toMatch(new RegExp(`^count/prefix-count: case ${k} .*: top must be present exactly when c ≥ 1`));
  });

  it('c changed by one: an invalid triple, a duplicate, or a case whose sum is not below 0', async () => {
    let n = 0;
    for (const base of [decoupled, output]) {
      for (const [i, x] of eachCase(base, (y) => y.c > 0)) {
        for (const c2 of [x.c - 1, x.c + 1].filter((c) => c > 0)) {
          const moved = { ...x, c: c2 };
          const v = await verdict(base, (c) => { countOf(c).cases[i].c = c2; raiseBy(c, caseCount(moved) - caseCount(x)); });
          // The order check names the moved case or the next one, whichever no longer increases.
          const invalid = `case ${i} \\(q=${x.q}, m=${x.m}, c=${c2}\\): not a valid`;
          const order = `case (${i}|${i + 1}) \\(q=\\d+, m=\\d+, c=\\d+\\): cases must be in strictly increasing`;
          expect(v).toMatch(new RegExp(`^count/prefix-count: (${invalid}|${order}|${esc(named(moved))}: )`));
          n++;
        }
      }
    }
    expect(n).toBeGreaterThan(10);
  });

  it('cases out of order or duplicated (the duplicate\'s sequences claimed twice)', async () => {
    const cases = countOf(output as unknown as Json).cases;
    expect(await verdict(output, (c) => { const a = countOf(c).cases; [a[3], a[4]] = [a[4], a[3]]; }))
      .toMatch(new RegExp(`^count/prefix-count: case 4 \\(q=${cases[3].q}, m=${cases[3].m}, c=${cases[3].c}\\): cases must be in strictly increasing \\(m, q, c\\) order`));
    for (const i of [0, 7, cases.length - 1]) {
      expect(await verdict(output, (c) => { const a = countOf(c).cases; a.splice(i + 1, 0, { ...a[i] }); raiseBy(c, caseCount(a[i])); }))
        .toMatch(new RegExp(`^count/prefix-count: case ${i + 1} \\(q=${cases[i].q}, m=${cases[i].m}, c=${cases[i].c}\\): .*a duplicate or out of order`));
    }
  });

  it('the label mechcert/prefix on evidence with output cases', async () => {
    expect(await verdict(output, (c) => { claim(c).strategy = 'mechcert/prefix'; }))
      .toMatch(/^count\/prefix-count: claim.strategy mechcert\/prefix is not what the evidence proves: it uses the output form \(mechcert\/prefix-output/);
    expect(await verdict(output, (c) => { claim(c).strategy = 'cubic'; })).toMatch(/^count\/count-step: claim.strategy cubic does not match the count step kind prefix-count/);
  });

  it('a prefix-count step in format mechcert/1.1 or mechcert/1 (rule format), exact or float32', async () => {
    for (const format of ['mechcert/1.1', 'mechcert/1']) {
      expect(await verdict(output, (c) => { c.format = format; })).toBe('count/format: a prefix-count step needs format mechcert/1.2');
    }
    const t = float32Target(model);
    const f32 = withSemantics(provePrefix(model, { output: true, margin: t.margin }).certificate, DEFAULT_FLOAT32);
    expect(f32.format).toBe('mechcert/1.2');
    expect(await verdict(f32)).toMatch(/^verified \d+$/);
    expect(await verdict(f32, (c) => { c.format = 'mechcert/1.1'; })).toBe('count/format: a prefix-count step needs format mechcert/1.2');
    expect(await verdict(f32, (c) => { c.format = 'mechcert/1'; })).toMatch(/^null\/format: claim.semantics needs format mechcert\/1.1 or later/);
  });

  it('a grid entry a case needs set to null (rejected naming the entry and (q, m)) or lowered below e^{r·z} (rule exp-grid)', async () => {
    for (const base of [decoupled, output]) {
      const hi = steps(base as unknown as Json)[2].hi as (string | null)[];
      let needed = 0;
      for (const [i, h] of hi.entries()) {
        if (h === null) continue;
        const v = await verdict(base, (c) => { (steps(c)[2].hi as (string | null)[])[i] = null; });
        if (v.startsWith('verified')) {
          // Neutral: an entry only the prover's search looked up.
          expect(v).toBe(`verified ${base.claim.correct}`);
          continue;
        }
        needed++;
        expect(v).toMatch(new RegExp(`^count/prefix-count: (case )?\\(q=\\d+, m=\\d+[^)]*\\): ρ for (the query token \\d+|the tokens 0\\.\\.\\d+|token \\d+) needs exp-grid entry ${i}, which is absent$`));
        const lowered = await verdict(base, (c) => { const g = steps(c)[2].hi as string[]; g[i] = (BigInt(g[i]) - BigInt(g[i]) / 1000n).toString(); });
        expect(lowered).toMatch(new RegExp(`^grid/exp-grid: hi\\[${i}\\] = \\d+/2\\^40 is below e\\^\\(r·`));
      }
      expect(needed).toBeGreaterThanOrEqual(10);
    }
  });

  it('expP or grid citing the wrong kind, a missing step, or an exp table over EQKE', async () => {
    expect(await verdict(output, (c) => { countOf(c).expP = 'grid'; })).toMatch(/^count\/reference: /);
    expect(await verdict(output, (c) => { countOf(c).grid = 'expP'; })).toMatch(/^count\/reference: /);
    expect(await verdict(output, (c) => { countOf(c).expP = 'scale'; })).toMatch(/^count\/reference: /);
    expect(await verdict(output, (c) => { countOf(c).grid = 'no-such-grid'; })).toMatch(/^count\/reference: /);
    const expE = expTable(exactQK(model).EQKE, 'EQKE', steps(output as unknown as Json)[0] as unknown as InvSqrtScaleStep, 48, 'expE').step;
    expect(await verdict(output, (c) => { steps(c).splice(1, 0, expE as unknown as Json); countOf(c).expP = 'expE'; }))
      .toBe('count/prefix-count: expP must be an exp-table over EQKP');
  });

  it('a position order not sorted by EQKP', async () => {
    const { EQKP } = exactQK(model);
    const q = countOf(output as unknown as Json).positionOrder.findIndex((r, q) => EQKP.num[q * K + r[0]] < EQKP.num[q * K + r[r.length - 1]]);
    expect(q).toBeGreaterThanOrEqual(0);
    const v = await verdict(output, (c) => { countOf(c).positionOrder[q].reverse(); });
    expect(v).toMatch(new RegExp(`^count/prefix-count: positionOrder\\[${q}\\]: EQKP`));
  });

  it('the exact certificate claimed for float32 with exp ≤ 10⁶ ulp: a case\'s sum is not below 0 once ε ≈ 2.4 enters it', async () => {
    const f32 = withSemantics(output, { ...DEFAULT_FLOAT32, expUlps: '1000000' });
    expect(await verdict(f32)).toMatch(/^count\/prefix-count: case \(q=\d+, m=\d+, c=\d+.*\): .* is not below 0 \(the bound on ℓ_x − ℓ_m \+ ε, ε = 2\.\d{12}\)$/);
  });

  it('claim.correct above the count (rule count), by one and by everything', async () => {
    for (const base of [decoupled, output]) {
      expect(await verdict(base, (c) => raiseBy(c, 1n))).toMatch(/^count\/count: claimed correct \d+ exceeds the \d+ sequences proved/);
      expect(await verdict(base, (c) => { claim(c).correct = base.claim.total; })).toMatch(/^count\/count: /);
    }
  });
});

describe('prefix-count: neutral mutations verify, with a count at most the truth', () => {
  it('out lowered by one: verified with the same count, or rejected only for a grid entry the search never listed', async () => {
    const cases = countOf(output as unknown as Json).cases.map((x, i) => [i, x] as const).filter(([, x]) => x.out !== undefined && x.out >= 0);
    let verified = 0;
    for (const [i] of cases) {
      const v = await verdict(output, (c) => { countOf(c).cases[i].out! -= 1; });
      if (v === `verified ${output.claim.correct}`) verified++;
      else expect(v).toMatch(/^count\/prefix-count: (case )?\(q=\d+, m=\d+[^)]*\): ρ for .* needs exp-grid entry \d+, which is absent$/);
    }
    expect(verified).toBeGreaterThan(0);
  });

  it('the prefix-output or prefix-budget label on any prefix evidence; the claim lowered; a case dropped with the claim lowered', async () => {
    for (const label of ['mechcert/prefix-output', 'mechcert/prefix-budget']) {
      expect(await verdict(decoupled, (c) => { claim(c).strategy = label; })).toBe(`verified ${decoupled.claim.correct}`);
      expect(await verdict(output, (c) => { claim(c).strategy = label; })).toBe(`verified ${output.claim.correct}`);
    }
    const v = await verdict(output, (c) => raiseBy(c, -1n));
    expect(v).toBe(`verified ${output.claim.correct}`);
    const dropped = await verdict(output, (c) => { const [x] = countOf(c).cases.splice(5, 1); raiseBy(c, -caseCount(x)); });
    expect(dropped).toMatch(/^verified \d+$/);
    expectSoundIfVerified(dropped);
    expect(Number(output.claim.correct)).toBeLessThanOrEqual(truth);
  });
});
