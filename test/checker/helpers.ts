/**
 * Test-only certificate builders for tiny models, independent of src/prove: float64 arithmetic with generous
 * margins (so that every emitted bound is true), exact exponents from the checker's own path matrices (so that
 * shift columns are exact row maxima). A float evaluation of the model over all V^K sequences is the reference count.
 */
import { serializeModel, parseModel, type Model } from '../../src/model/model.js';
import { logitsFromTables, pathTables, type PathTables } from '../../src/model/paths.js';
import { loadExactModel, type ExactModel, type Mat } from '../../checker/model.js';
import { Ops } from '../../checker/ops.js';
import { randomModel, solverModel } from '../model/random-model.js';

export const FRAC_BITS = 40;
/** Relative margin put outside every float enclosure and bound. */
const SLACK = 1e-9;

export interface Tiny {
  bytes: Uint8Array;
  model: Model;
  exact: ExactModel;
  tables: PathTables;
}

export function tiny(m: Omit<Model, 'sha256'>): Tiny {
  const bytes = serializeModel(m);
  const model = parseModel(bytes);
  return { bytes, model, exact: loadExactModel(bytes, new Ops(), model.sha256), tables: pathTables(model) };
}

/** A random tiny model (mostly wrong) or a noisy Max-of-K solver (mostly right). */
export function tinyModel(kind: 'random' | 'solver', k: number, vocab: number, seed: number): Tiny {
  return tiny(kind === 'random' ? randomModel({ k, vocab, dModel: 4, dHead: 4 }, seed) : solverModel(k, vocab, seed));
}

const value = (A: Mat, i: number) => Number(A.num[i]) / 2 ** A.exp;

/** Decimal string of n / 10^places for an integer n ≥ 0. */
function decimal(n: bigint, places: number): string {
  const s = n.toString().padStart(places + 1, '0');
  return `${s.slice(0, -places)}.${s.slice(-places)}`;
}

export function scaleStep(dHead: number) {
  const r = 1 / Math.sqrt(dHead);
  const n = BigInt(Math.floor(r * 1e15));
  return { id: 'scale', kind: 'inv-sqrt-scale', dHead, lo: decimal(n - 10n, 15), hi: decimal(n + 10n, 15) };
}

/** An exp-table step with shift = exact row argmax and float enclosures widened by SLACK. */
export function expTableStep(t: Tiny, source: 'EQKE' | 'EQKP', id: string) {
  const X = t.exact[source];
  const r = 1 / Math.sqrt(t.exact.dHead);
  const shift: number[] = [];
  const lo: string[][] = [];
  const hi: string[][] = [];
  for (let q = 0; q < X.rows; q++) {
    let s = 0;
    for (let j = 1; j < X.cols; j++) if (X.num[q * X.cols + j] > X.num[q * X.cols + s]) s = j;
    shift.push(s);
    const row = Array.from({ length: X.cols }, (_, j) => Math.exp(r * (value(X, q * X.cols + j) - value(X, q * X.cols + s))) * 2 ** FRAC_BITS);
    lo.push(row.map((e, j) => (j === s ? 2n ** BigInt(FRAC_BITS) : BigInt(Math.floor(e * (1 - SLACK)))).toString()));
    hi.push(row.map((e, j) => (j === s ? 2n ** BigInt(FRAC_BITS) : BigInt(Math.ceil(e * (1 + SLACK)))).toString()));
  }
  return { id, kind: 'exp-table', scale: 'scale', source, fracBits: FRAC_BITS, shift, lo, hi };
}

export function certificate(t: Tiny, strategy: 'cubic' | 'brute-force', correct: bigint, count: object) {
  const { k, vocab, dHead } = t.exact;
  return {
    format: 'mechcert/1',
    claim: { modelSha256: t.exact.sha256, task: 'max-of-k', k, vocab, strategy, correct: correct.toString(), total: (BigInt(vocab) ** BigInt(k)).toString() },
    evidence: { steps: [scaleStep(dHead), expTableStep(t, 'EQKE', 'expE'), expTableStep(t, 'EQKP', 'expP'), count] },
    prover: { name: 'test-helpers', version: '0' },
  };
}

export const encode = (cert: unknown) => new TextEncoder().encode(JSON.stringify(cert));

/** Float evaluation over all V^K sequences: sequences correct with margin > +tol, and with margin > −tol. */
export function floatCounts(t: Tiny, tol = 1e-9): { sure: number; possible: number } {
  const { k: K, vocab: V } = t.exact;
  const tokens = new Int32Array(K);
  const logits = new Float64Array(V);
  const scratch = new Float64Array(K);
  let sure = 0;
  let possible = 0;
  for (let i = 0; i < V ** K; i++) {
    let n = i;
    for (let p = 0; p < K; p++, n = Math.floor(n / V)) tokens[p] = n % V;
    logitsFromTables(t.tables, tokens, 0, logits, scratch);
    const m = Math.max(...tokens);
    let margin = Infinity;
    for (let x = 0; x < V; x++) if (x !== m) margin = Math.min(margin, logits[m] - logits[x]);
    if (margin > tol) sure++;
    if (margin > -tol) possible++;
  }
  return { sure, possible };
}

const binomial = (n: number, k: number): number => (k === 0 ? 1 : (binomial(n - 1, k - 1) * n) / k);

/**
 * A cubic-count step built in float64 (SPEC §4.3) from the exp-table steps, and the count it should prove: every case
 * whose float bound is below −1e-6, with the bound rounded up by a relative SLACK.
 */
export function cubicStep(t: Tiny, expE: ReturnType<typeof expTableStep>, expP: ReturnType<typeof expTableStep>) {
  const { k: K, vocab: V } = t.exact;
  const { EU, EVOU, PVOU } = t.tables;
  const F = 2 ** FRAC_BITS;
  const e = (tab: string[][], q: number, j: number) => Number(tab[q][j]) / F;
  const order = Array.from({ length: V }, (_, q) =>
    Array.from({ length: K - 1 }, (_, p) => p).sort((a, b) => {
      const d = t.exact.EQKP.num[q * K + a] - t.exact.EQKP.num[q * K + b];
      return d < 0n ? -1 : d > 0n ? 1 : 0;
    }));
  const cases: { q: number; m: number; c: number; good?: string; bound: string }[] = [];
  let count = 0;
  // Pessimistic weighted average Σ sel·c / Σ sel, as in the checker's multiplied-through test, for given slots.
  const avg = (slots: { c: number; lo: number; hi: number }[]) => {
    // Max over weights in [lo, hi] of the weighted average: a fractional program, solved by trying every threshold.
    let best = -Infinity;
    for (const th of slots) {
      let num = 0;
      let den = 0;
      for (const s of slots) {
        const w = s.c >= th.c ? s.hi : s.lo;
        num += w * s.c;
        den += w;
      }
      best = Math.max(best, num / den);
    }
    return best;
  };
  const bound = (L: number) => {
    const b = L + Math.abs(L) * 1e-6;
    return b < -1e-9 ? b.toFixed(12) : null;
  };
  for (let m = 0; m < V; m++) {
    const Pstar = Array.from({ length: V }, (_, x) => Math.max(...Array.from({ length: K }, (_, p) => PVOU[p * V + x] - PVOU[p * V + m])));
    const W = Array.from({ length: V }, (_, tk) => Math.max(...Array.from({ length: V }, (_, x) => (x === m ? -Infinity : EVOU[tk * V + x] - EVOU[tk * V + m] + Pstar[x]))));
    for (let q = 0; q <= m; q++) {
      const U = Math.max(...Array.from({ length: V }, (_, x) => (x === m ? -Infinity : EU[q * V + x] - EU[q * V + m])));
      const slot = (tk: number, p: number, c: number) => ({ c, lo: e(expE.lo, q, tk) * e(expP.lo, q, p), hi: e(expE.hi, q, tk) * e(expP.hi, q, p) });
      // c = 0.
      let L = -Infinity;
      for (let x = 0; x < V; x++) {
        if (x === m) continue;
        const base = EU[q * V + x] - EU[q * V + m] + Pstar[x];
        if (q === m) L = Math.max(L, base + EVOU[m * V + x] - EVOU[m * V + m]);
        else {
          const slots = Array.from({ length: K - 1 }, (_, p) => slot(m, p, base + EVOU[m * V + x] - EVOU[m * V + m]));
          slots.push(slot(q, K - 1, base + EVOU[q * V + x] - EVOU[q * V + m]));
          L = Math.max(L, avg(slots));
        }
      }
      const b0 = bound(L);
      if (b0 !== null) {
        cases.push({ q, m, c: 0, bound: b0 });
        count++;
      }
      for (let c = 1; c <= (q === m ? K - 1 : K - 2); c++) {
        let good = 0n;
        let G = 0;
        let worst = -Infinity;
        for (let k = 0; k < m; k++) {
          let Lk = -Infinity;
          for (const mFirst of [true, false]) {
            const slots = order[q].map((p, i) => {
              const isM = mFirst ? i < K - 1 - c : i >= c;
              return slot(isM ? m : k, p, U + W[isM ? m : k]);
            });
            slots.push(slot(q, K - 1, U + W[q]));
            Lk = Math.max(Lk, avg(slots));
          }
          if (bound(Lk) !== null) {
            good |= 1n << BigInt(k);
            G++;
            worst = Math.max(worst, Lk);
          }
        }
        const b = G > 0 ? bound(worst) : null;
        if (b === null) continue;
        cases.push({ q, m, c, good: good.toString(16), bound: b });
        count += binomial(K - 1, c) * G ** c;
      }
    }
  }
  return { step: { id: 'count', kind: 'cubic-count', expE: 'expE', expP: 'expP', positionOrder: order, cases }, count: BigInt(count) };
}

/** A whole cubic certificate claiming exactly what cubicStep expects to prove. */
export function cubicCertificate(t: Tiny) {
  const expE = expTableStep(t, 'EQKE', 'expE');
  const expP = expTableStep(t, 'EQKP', 'expP');
  const { step, count } = cubicStep(t, expE, expP);
  const cert = certificate(t, 'cubic', count, step);
  return { cert, count };
}

export function bruteForceCertificate(t: Tiny, correct: bigint) {
  return certificate(t, 'brute-force', correct, { id: 'count', kind: 'brute-force-count', expE: 'expE', expP: 'expP' });
}
