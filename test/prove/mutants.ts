/**
 * Mutations of valid certificates that claim more than the evidence supports (or break the evidence), each built so
 * that it is certainly wrong: a good bit is added only where the float bound for that k is above the claimed
 * bound, a bound is tightened by far more than the prover's tolerance, a position order is broken only where
 * EQKP differs, an exp enclosure is moved clear of the true value. Shared by the mutation tests and the fixture
 * generator.
 */
import type { Certificate, CubicCase, CubicCountStep, ExpTableStep, InvSqrtScaleStep } from '../../src/prove/certificate.js';
import { binomial } from '../../src/prove/cubic.js';
import type { ExactQK } from '../../src/prove/exact.js';

export interface Mutant {
  name: string;
  cert: unknown;
}

/** Float bounds L[q][m][c][k] from the cubic search (k = m for c = 0). */
export type BoundTable = Map<string, number>;
export const boundKey = (q: number, m: number, c: number, k: number) => `${q},${m},${c},${k}`;

const clone = <T>(x: T): T => structuredClone(x);

function caseCount(K: number, cs: { c: number; good?: string }): bigint {
  if (cs.c === 0) return 1n;
  let n = 0n;
  for (let mask = BigInt(`0x${cs.good}`); mask > 0n; mask >>= 1n) n += mask & 1n;
  return binomial(K - 1, cs.c) * n ** BigInt(cs.c);
}

function step<T>(cert: Certificate, kind: string): T {
  return cert.evidence.steps.find((s) => s.kind === kind) as T;
}

function raise(cert: Certificate, by: bigint): void {
  cert.claim.correct = (BigInt(cert.claim.correct) + by).toString();
}

/** Mutants common to every certificate kind. */
export function commonMutants(cert: Certificate): Mutant[] {
  const out: Mutant[] = [];
  const add = (name: string, f: (c: Certificate) => void) => {
    const c = clone(cert);
    f(c);
    out.push({ name, cert: c });
  };
  add('raise-correct', (c) => raise(c, 1n));
  if (cert.claim.correct !== cert.claim.total) add('claim-all-correct', (c) => (c.claim.correct = c.claim.total));
  add('sha-changed', (c) => (c.claim.modelSha256 = (c.claim.modelSha256[0] === '0' ? '1' : '0') + c.claim.modelSha256.slice(1)));
  add('k-changed', (c) => (c.claim.k += 1));
  add('vocab-changed', (c) => (c.claim.vocab += 1));
  add('total-changed', (c) => (c.claim.total = (BigInt(c.claim.total) - 1n).toString()));
  add('format-major-2', (c) => ((c as unknown as { format: string }).format = 'mechcert/2'));
  add('forward-reference', (c) => {
    const [scale, expE, ...rest] = c.evidence.steps;
    c.evidence.steps = [expE, scale, ...rest];
  });
  add('missing-reference', (c) => ((c.evidence.steps[c.evidence.steps.length - 1] as { expE: string }).expE = 'no-such-step'));
  add('swapped-table-references', (c) => {
    const last = c.evidence.steps[c.evidence.steps.length - 1] as { expE: string; expP: string };
    [last.expE, last.expP] = [last.expP, last.expE];
  });
  add('scale-hi-below-truth', (c) => {
    const s = step<InvSqrtScaleStep>(c, 'inv-sqrt-scale');
    const d = s.dHead;
    // 0.9999/sqrt(d) as a 40-digit decimal rounded down: hi² · d < 1.
    s.hi = (0.9999 / Math.sqrt(d)).toFixed(12);
    s.lo = s.hi;
  });
  add('dhead-changed', (c) => (step<InvSqrtScaleStep>(c, 'inv-sqrt-scale').dHead += 1));
  add('count-step-removed', (c) => c.evidence.steps.pop());
  add('unknown-step-kind', (c) => {
    (c.evidence.steps[0] as { kind: string }).kind = 'trust-me';
  });
  add('fracbits-over-limit', (c) => {
    const t = step<ExpTableStep>(c, 'exp-table');
    t.fracBits = 100_000;
  });
  return out;
}

/** Exp-table mutants: enclosures moved clear of the true value, or a shift column that is not a row maximum. */
export function expMutants(cert: Certificate, qk: ExactQK): Mutant[] {
  const out: Mutant[] = [];
  for (const source of ['EQKE', 'EQKP'] as const) {
    const idx = cert.evidence.steps.findIndex((s) => s.kind === 'exp-table' && s.source === source);
    const t = cert.evidence.steps[idx] as ExpTableStep;
    // An entry off the shift column with a mantissa of at least 2^10 (so a relative move of 2^−10 is ≥ 1 unit).
    let at: [number, number] | undefined;
    for (let q = 0; q < t.lo.length && !at; q++) {
      for (let j = 0; j < t.lo[q].length && !at; j++) if (j !== t.shift[q] && BigInt(t.lo[q][j]) >= 1024n) at = [q, j];
    }
    if (at) {
      const [q, j] = at;
      const up = clone(cert);
      const tu = up.evidence.steps[idx] as ExpTableStep;
      const hi = BigInt(tu.hi[q][j]);
      tu.hi[q][j] = tu.lo[q][j] = (hi + (hi >> 10n) + 1n).toString();
      out.push({ name: `${source}-enclosure-above-truth`, cert: up });
      const down = clone(cert);
      const td = down.evidence.steps[idx] as ExpTableStep;
      const lo = BigInt(td.lo[q][j]);
      td.hi[q][j] = td.lo[q][j] = (lo - (lo >> 10n) - 1n).toString();
      out.push({ name: `${source}-enclosure-below-truth`, cert: down });
      const swapped = clone(cert);
      const ts = swapped.evidence.steps[idx] as ExpTableStep;
      [ts.lo[q][j], ts.hi[q][j]] = [ts.hi[q][j], (BigInt(ts.lo[q][j]) - 1n).toString()];
      out.push({ name: `${source}-lo-above-hi`, cert: swapped });
    }
    // A shift column strictly below the row maximum.
    const X = source === 'EQKE' ? qk.EQKE : qk.EQKP;
    for (let q = 0; q < X.rows; q++) {
      const j = Array.from({ length: X.cols }, (_, c) => c).find((c) => X.num[q * X.cols + c] < X.num[q * X.cols + t.shift[q]]);
      if (j === undefined) continue;
      const c = clone(cert);
      (c.evidence.steps[idx] as ExpTableStep).shift[q] = j;
      out.push({ name: `${source}-shift-not-row-max`, cert: c });
      break;
    }
  }
  return out;
}

function popcount(mask: bigint): number {
  let n = 0;
  for (; mask > 0n; mask >>= 1n) n += Number(mask & 1n);
  return n;
}

/**
 * Cubic-count mutants. `bounds` holds the search's float bounds (of the form the certificate uses for each k),
 * `decoupled` the decoupled form's bounds (c ≥ 1), `tol` the prover's tolerance.
 */
export function cubicMutants(cert: Certificate, qk: ExactQK, bounds: BoundTable, tol: number, decoupled?: BoundTable): Mutant[] {
  const out: Mutant[] = [];
  const K = cert.claim.k;
  const V = cert.claim.vocab;
  const countIdx = cert.evidence.steps.length - 1;
  const cases = (cert.evidence.steps[countIdx] as CubicCountStep).cases;
  const withCases = (name: string, f: (cs: CubicCase[], c: Certificate) => void) => {
    const c = clone(cert);
    f((c.evidence.steps[countIdx] as CubicCountStep).cases, c);
    out.push({ name, cert: c });
  };
  // Add a good bit whose float bound is clearly above the case's claimed bound.
  for (const [i, cs] of cases.entries()) {
    if (cs.c === 0) continue;
    const mask = BigInt(`0x${cs.good}`);
    const b = Number(cs.bound);
    const k = Array.from({ length: cs.m }, (_, x) => x).find((x) => !((mask >> BigInt(x)) & 1n) && bounds.get(boundKey(cs.q, cs.m, cs.c, x))! > b + 10 * tol + 1e-6 * Math.abs(b));
    if (k === undefined) continue;
    withCases('good-bit-added', (all, c) => {
      const before = caseCount(K, all[i]);
      all[i].good = (mask | (1n << BigInt(k))).toString(16);
      raise(c, caseCount(K, all[i]) - before);
    });
    break;
  }
  // Joint form (SPEC §4.3). Add a token to good and joint whose joint bound is clearly above the case's bound (a k
  // outside good has had the joint form tried, so its recorded bound is the joint one).
  const clear = (L: number | undefined, b: number) => L !== undefined && L > b + 10 * tol + 1e-6 * Math.abs(b);
  for (const [i, cs] of cases.entries()) {
    if (cs.c === 0) continue;
    const mask = BigInt(`0x${cs.good}`);
    const k = Array.from({ length: cs.m }, (_, x) => x).find((x) => !((mask >> BigInt(x)) & 1n) && clear(bounds.get(boundKey(cs.q, cs.m, cs.c, x)), Number(cs.bound)));
    if (k === undefined) continue;
    withCases('joint-bit-added', (all, c) => {
      const before = caseCount(K, all[i]);
      all[i].good = (mask | (1n << BigInt(k))).toString(16);
      all[i].joint = ((all[i].joint === undefined ? 0n : BigInt(`0x${all[i].joint}`)) | (1n << BigInt(k))).toString(16);
      raise(c, caseCount(K, all[i]) - before);
    });
    break;
  }
  // Drop a token from joint whose decoupled bound is clearly above the case's bound (the claim is unchanged).
  if (decoupled) {
    outerJ: for (const [i, cs] of cases.entries()) {
      if (cs.joint === undefined) continue;
      const jmask = BigInt(`0x${cs.joint}`);
      for (let k = 0; k < cs.m; k++) {
        if (!((jmask >> BigInt(k)) & 1n) || !clear(decoupled.get(boundKey(cs.q, cs.m, cs.c, k)), Number(cs.bound))) continue;
        withCases('joint-bit-removed', (all) => {
          const rest = jmask & ~(1n << BigInt(k));
          if (rest === 0n) delete all[i].joint;
          else all[i].joint = rest.toString(16);
        });
        break outerJ;
      }
    }
  }
  const withJointRoom = cases.findIndex((cs) => cs.c > 0 && popcount(BigInt(`0x${cs.good}`)) < cs.m);
  if (withJointRoom >= 0) {
    withCases('joint-not-subset-of-good', (all) => {
      const cs = all[withJointRoom];
      const mask = BigInt(`0x${cs.good}`);
      const k = Array.from({ length: cs.m }, (_, x) => x).find((x) => !((mask >> BigInt(x)) & 1n))!;
      cs.joint = (mask | (1n << BigInt(k))).toString(16);
    });
  }
  // Add a whole case whose float bound is positive.
  const present = new Set(cases.map((cs) => `${cs.q},${cs.m},${cs.c}`));
  outer: for (let m = 0; m < V; m++) {
    for (let q = 0; q <= m; q++) {
      if (present.has(`${q},${m},0`)) continue;
      if (!(bounds.get(boundKey(q, m, 0, m))! > 10 * tol)) continue;
      withCases('bad-case-added', (all, c) => {
        all.push({ q, m, c: 0, bound: '-1/1000000' });
        raise(c, 1n);
      });
      break outer;
    }
  }
  if (cases.length > 0) {
    // Tighten the bound of the case whose bound is largest relative to its worst k.
    withCases('bound-tightened', (all) => {
      for (const cs of all) {
        const b = Number(cs.bound);
        cs.bound = (b - Math.abs(b) * 0.01 - 100 * tol).toFixed(12);
      }
    });
    withCases('bound-zero', (all) => (all[0].bound = '0'));
    withCases('duplicate-case', (all, c) => {
      all.push({ ...all[0] });
      raise(c, caseCount(K, all[0]));
    });
    withCases('invalid-triple', (all) => {
      const cs = all[0];
      cs.q = cs.m + 1 < V ? cs.m + 1 : cs.q;
      cs.m = cs.m + 1 < V ? cs.m : V;
    });
    const withGood = cases.findIndex((cs) => cs.c > 0);
    if (withGood >= 0) {
      withCases('good-bit-at-m', (all) => {
        const cs = all[withGood];
        cs.good = (BigInt(`0x${cs.good}`) | (1n << BigInt(cs.m))).toString(16);
      });
      withCases('good-removed-on-c-case', (all) => delete all[withGood].good);
    }
    const c0 = cases.findIndex((cs) => cs.c === 0);
    if (c0 >= 0) withCases('good-on-c0-case', (all) => (all[c0].good = '1'));
    if (c0 >= 0) withCases('joint-on-c0-case', (all) => (all[c0].joint = '1'));
  }
  // Break a position order where EQKP differs.
  if (K >= 3) {
    for (let q = 0; q < V; q++) {
      const row = (cert.evidence.steps[countIdx] as CubicCountStep).positionOrder[q];
      const a = qk.EQKP.num[q * K + row[0]];
      const b = qk.EQKP.num[q * K + row[row.length - 1]];
      if (a === b) continue;
      withCases('position-order-altered', (_all, c) => {
        const r = (c.evidence.steps[countIdx] as CubicCountStep).positionOrder[q];
        [r[0], r[r.length - 1]] = [r[r.length - 1], r[0]];
      });
      break;
    }
  }
  return out;
}
