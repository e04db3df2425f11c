/**
 * mechcert's prefix proofs (SPEC §4.7): between the paper's subcubic and cubic proofs. A case is (query q, max m,
 * c non-max non-query positions, all holding tokens 0..top); its attention weights come from one shared exp grid
 * (no per-entry exp table over EQKE), its logit bound from row maxima with the output x kept apart per slot.
 * - `mechcert/prefix`: the decoupled form only; every table is a row maximum, so checking costs O(V²(K + d)).
 * - `mechcert/prefix-output`: where the decoupled form stops short, the output form keeps x joint across the slots
 *   and bounds the few tokens nearest m one by one (`singles`), the rest of the prefix together: O(V) per such case.
 * - `mechcert/prefix-budget`: the output form only on the cases that prove the most sequences per checker operation,
 *   within 4.5V³ operations (select).
 * The search runs in float64 on the checker's formulas with the checker's exact grid indices and claims a case only
 * when its sum is below −TOL relative to its terms' size; the checker re-derives everything exactly.
 */
import type { Model } from '../model/model.js';
import { pathTables } from '../model/paths.js';
import { FORMAT_PREFIX, PROVER, type Certificate } from './certificate.js';
import { binomial, positionOrders } from './cubic.js';
import { exactQK, type DyadicMatrix } from './exact.js';
import { expTable } from './exp-table.js';
import { invSqrtScaleStep, rationalParts } from './scale.js';
import type { ProveResult, Strategy } from './strategy.js';
import { gridMantissa } from './subcubic/prove.js';

/** Relative safety margin of a claimed case's float sum (the exact sums agree to about 1e−12 relative). */
const TOL = 1e-9;
const GRID_STEP_BITS = 3;
const GRID_FRAC_BITS = 40;

export interface PrefixOptions {
  /** Allow the output form (mechcert/prefix-output). */
  output: boolean;
  /** Most checker operations the output form may add (mechcert/prefix-budget); absent: no limit. */
  budget?: number;
  /** Most tokens the output form bounds one by one (default 2). */
  singles?: number;
  /** ε, the float32 margin: a case is claimed only when its bound on ℓ_x − ℓ_m + ε is negative. */
  margin?: number;
}

interface Case { q: number; m: number; c: number; top?: number; out?: number }

/** ceil(z·2^b) for the exact dyadic z = num·2^−shift, as the checker's grid lookup computes it. */
function gridIndex(num: bigint, shift: number, b: number): bigint {
  if (shift <= b) return num << BigInt(b - shift);
  const s = BigInt(shift - b);
  return -((-num) >> s);
}

export function provePrefix(model: Model, opts: PrefixOptions): ProveResult {
  const t0 = Date.now();
  const { vocab: V, k: K } = model.config;
  const T = pathTables(model);
  const { EU, EVOU, PVOU } = T;
  const eps = opts.margin ?? 0;
  const singlesMax = opts.singles ?? 2;
  const scale = invSqrtScaleStep(model.config.dHead, 'scale');
  const qk = exactQK(model);
  const expP = expTable(qk.EQKP, 'EQKP', scale, 48, 'expP');
  const positionOrder = positionOrders(qk.EQKP);
  const grid = makeGrid(qk.EQKE, T.scale, scale);
  const maxOut = (row: (x: number) => number, m: number) => {
    let a = -Infinity;
    for (let x = 0; x < V; x++) if (x !== m) a = Math.max(a, row(x));
    return a;
  };
  const choices: Choice[] = [];
  for (let m = 0; m < V; m++) {
    const pv = (p: number, x: number) => PVOU[p * V + x] - PVOU[p * V + m];
    const Pnon = Float64Array.from({ length: V }, (_, x) => Math.max(...Array.from({ length: K - 1 }, (_, p) => pv(p, x))));
    const A = (t: number, p: number) => maxOut((x) => EVOU[t * V + x] + PVOU[p * V + x], m) - EVOU[t * V + m] - PVOU[p * V + m];
    const kappa = (t: number) => Math.max(...Array.from({ length: K - 1 }, (_, p) => A(t, p)));
    const kappaPre: number[] = [];
    for (let k = 0; k < m; k++) kappaPre.push(Math.max(k ? kappaPre[k - 1] : -Infinity, kappa(k)));
    const kappaM = kappa(m);
    // W[k][x] = max_{k'≤k} EVOU_m[k',x].
    const W: Float64Array[] = [];
    for (let k = 0; k < m; k++) W.push(Float64Array.from({ length: V }, (_, x) => Math.max(k ? W[k - 1][x] : -Infinity, EVOU[k * V + x] - EVOU[k * V + m])));
    for (let q = 0; q <= m; q++) {
      const U = maxOut((x) => EU[q * V + x], m) - EU[q * V + m];
      const rho = (t: number) => grid.at(q, t, m, false);
      const rhoHat = (k: number) => grid.at(q, k, m, true);
      const piLo = (p: number) => expP.loF[q * K + p];
      const piHi = (p: number) => expP.hiF[q * K + p];
      const rq = q === m ? 1 : rho(q);
      const qw = { lo: q === m ? piLo(K - 1) : 0, hi: rq === null ? NaN : rq * piHi(K - 1) };
      const eu = (x: number) => EU[q * V + x] - EU[q * V + m];
      const B = Float64Array.from({ length: V }, (_, x) => eu(x) + Pnon[x] + eps);
      const Fm = B.map((b, x) => b + EVOU[m * V + x] - EVOU[m * V + m]);
      const Fq = Float64Array.from({ length: V }, (_, x) => eu(x) + EVOU[q * V + x] - EVOU[q * V + m] + pv(K - 1, x) + eps);
      const term = (cf: number, lo: number, hi: number) => cf * (cf >= 0 ? hi : lo);
      const ok = (sum: number, size: number) => sum < -TOL * size;
      // The decoupled form's m-slot and query-slot bounds (the same for every c and top).
      const M = U + kappaM + eps;
      const Q = U + A(q, K - 1) + eps;
      const cMax = q === m ? K - 1 : K - 2;
      for (let c = 0; c <= cMax; c++) {
        const Ls = layouts(positionOrder[q], K, c, piLo, piHi);
        const decoupled = (top: number | undefined): boolean => {
          const rh = top === undefined ? 0 : rhoHat(top);
          if (rh === null) return false;
          const H = top === undefined ? 0 : rh * Math.max(0, U + kappaPre[top] + eps);
          const L = M <= H ? Ls[0] : Ls[1];
          const parts = [term(M, L.mLo, L.mHi), L.kHi * H, term(Q, qw.lo, qw.hi)];
          return ok(parts[0] + parts[1] + parts[2], Math.abs(parts[0]) + Math.abs(parts[1]) + Math.abs(parts[2]));
        };
        /** The output form at (top, out): per output x ≠ m, the sum at the layout the checker picks for it. */
        const output = (top: number, out: number): boolean => {
          const rOut = out >= 0 ? rhoHat(out) : 0;
          const singles = Array.from({ length: top - out }, (_, i) => ({ k: out + 1 + i, r: rho(out + 1 + i) }));
          if (rOut === null || singles.some((s) => s.r === null)) return false;
          for (let x = 0; x < V; x++) {
            if (x === m) continue;
            let H = out >= 0 ? rOut * Math.max(0, B[x] + W[out][x]) : 0;
            for (const { k, r } of singles) H = Math.max(H, r! * Math.max(0, B[x] + EVOU[k * V + x] - EVOU[k * V + m]));
            const query = term(Fq[x], qw.lo, qw.hi);
            const L = Fm[x] <= H ? Ls[0] : Ls[1];
            const mt = term(Fm[x], L.mLo, L.mHi);
            if (!ok(mt + L.kHi * H + query, Math.abs(mt) + L.kHi * H + Math.abs(query))) return false;
          }
          return true;
        };
        if (Number.isNaN(qw.hi)) continue;
        // The decoupled case with the largest top, and the output case that proves more, if any.
        let dec: Case | null = null;
        let alt: Case | null = null;
        if (c === 0) {
          if (decoupled(undefined)) dec = { q, m, c };
          else if (opts.output && output(-1, -1)) alt = { q, m, c, out: -1 };
        } else {
          for (let top = m - 1; top >= 0 && !dec; top--) if (decoupled(top)) dec = { q, m, c, top };
          for (let top = m - 1; opts.output && top > (dec?.top ?? -1) && !alt; top--) {
            for (let out = top; out >= Math.max(-1, top - singlesMax) && !alt; out--) if (output(top, out)) alt = { q, m, c, top, out };
          }
        }
        choices.push({ dec, alt });
      }
    }
  }
  const cases = select(choices, K, V, opts.budget);
  cases.forEach(grid.listCase);
  const count = cases.reduce((n, cs) => n + proves(cs, K), 0n);
  const total = BigInt(V) ** BigInt(K);
  const strategy = !opts.output ? 'mechcert/prefix' : opts.budget === undefined ? 'mechcert/prefix-output' : 'mechcert/prefix-budget';
  const certificate: Certificate = {
    format: FORMAT_PREFIX,
    claim: { modelSha256: model.sha256, task: 'max-of-k', k: K, vocab: V, strategy, correct: count.toString(), total: total.toString() },
    evidence: {
      steps: [
        scale, expP.step,
        { id: 'grid', kind: 'exp-grid', scale: 'scale', base: grid.base, stepBits: GRID_STEP_BITS, fracBits: GRID_FRAC_BITS, hi: grid.entries() } as never,
        { id: 'count', kind: 'prefix-count', expP: 'expP', grid: 'grid', positionOrder, cases } as never,
      ],
    },
    prover: { ...PROVER },
  };
  return {
    certificate,
    figures: { proveMs: Date.now() - t0, correct: count.toString(), bound: Number(count) / Number(total), cases: cases.length, outputCases: cases.filter((cs) => cs.out !== undefined).length, gridEntries: grid.used() },
  };
}

interface Choice { dec: Case | null; alt: Case | null }

/** Sequences a case proves. */
const proves = (cs: Case | null, K: number): bigint => (!cs ? 0n : cs.c === 0 ? 1n : binomial(K - 1, cs.c) * BigInt(cs.top! + 1) ** BigInt(cs.c));

/**
 * The cases to certify: every output alternative (no budget), or those that prove the most sequences more than their
 * decoupled case per checker operation, while their operations (the checker's count, as in checker/rules) fit in
 * the budget; every other (q, m, c) keeps its decoupled case.
 */
function select(choices: Choice[], K: number, V: number, budget: number | undefined): Case[] {
  const opsOf = (cs: Case) => 4 * ((cs.top ?? -1) - cs.out!) + (V - 1) * ((cs.out! >= 0 ? 3 : 0) + 5 * ((cs.top ?? -1) - cs.out!) + 10);
  const useAlt = new Set<Choice>();
  const ranked = choices.filter((ch) => ch.alt).map((ch) => ({ ch, gain: Number(proves(ch.alt, K) - proves(ch.dec, K)), ops: opsOf(ch.alt!) }));
  ranked.sort((a, b) => b.gain / b.ops - a.gain / a.ops);
  let spent = 0;
  const pairs = new Set<number>();
  for (const r of ranked) {
    const pair = r.ch.alt!.m * V + r.ch.alt!.q;
    const cost = r.ops + (pairs.has(pair) ? 0 : 9 * V);
    if (budget !== undefined && spent + cost > budget) continue;
    spent += cost;
    pairs.add(pair);
    useAlt.add(r.ch);
  }
  return choices.flatMap((ch) => (useAlt.has(ch) ? [ch.alt!] : ch.dec ? [ch.dec] : []));
}

/** The masses of the m positions ([lo, hi]) and of the other non-query positions (hi), for both extreme layouts. */
function layouts(order: number[], K: number, c: number, lo: (p: number) => number, hi: (p: number) => number) {
  const nM = K - 1 - c;
  return [[0, nM], [c, K - 1]].map(([from, to]) => {
    let [mLo, mHi, kHi] = [0, 0, 0];
    order.forEach((p, i) => {
      if (i >= from && i < to) [mLo, mHi] = [mLo + lo(p), mHi + hi(p)];
      else kHi += hi(p);
    });
    return { mLo, mHi, kHi };
  });
}

/**
 * The exp grid over score differences z = EQKE[q,t] − EQKE[q,m] (or the prefix maximum of the row less EQKE[q,m]),
 * in steps of 2^−GRID_STEP_BITS from −16/r (below it the first entry serves) to 8/r (beyond it nothing is claimed);
 * entries are computed, and listed in the certificate, only where a case looked them up.
 */
function makeGrid(EQKE: DyadicMatrix, rHi: number, scale: { lo: string; hi: string }) {
  const V = EQKE.cols;
  const b = GRID_STEP_BITS;
  const base = Math.floor((-16 / rHi) * 2 ** b);
  const n = Math.ceil((8 / rHi) * 2 ** b) - base;
  const [rLo, rH] = [rationalParts(scale.lo), rationalParts(scale.hi)];
  const mant = new Map<number, bigint>();
  const PM = EQKE.num.map((x) => x);
  for (let i = 0; i < PM.length; i++) if (i % V && PM[i - 1] > PM[i]) PM[i] = PM[i - 1];
  const index = (q: number, t: number, m: number, prefix: boolean): number => {
    const z = (prefix ? PM : EQKE.num)[q * V + t] - EQKE.num[q * V + m];
    return Math.max(0, Number(gridIndex(z, EQKE.shift, b) - BigInt(base)));
  };
  /** The entries the certificate lists: those the chosen cases read (listCase), the others null. */
  const listed = new Set<number>();
  return {
    base,
    /** e^{r·z} bounded from above (as the checker reads the entry), or null beyond the grid. */
    at(q: number, t: number, m: number, prefix: boolean): number | null {
      const i = index(q, t, m, prefix);
      if (i >= n) return null;
      if (!mant.has(i)) mant.set(i, gridMantissa(base + i, b, GRID_FRAC_BITS, rLo, rH));
      return Number(mant.get(i)!) / 2 ** GRID_FRAC_BITS;
    },
    /** Marks the entries the checker reads for this case: ρ⁺(q) when q < m, ρ̂ at top or out, ρ⁺ of the singles. */
    listCase({ q, m, top, out }: Case): void {
      if (q < m) listed.add(index(q, q, m, false));
      if (out === undefined && top !== undefined) listed.add(index(q, top, m, true));
      if (out !== undefined && out >= 0) listed.add(index(q, out, m, true));
      for (let k = (out ?? top ?? -1) + 1; out !== undefined && k <= (top ?? -1); k++) listed.add(index(q, k, m, false));
    },
    entries: () => Array.from({ length: listed.size ? Math.max(...listed) + 1 : 1 }, (_, i) => (listed.has(i) ? mant.get(i)!.toString() : null)),
    used: () => listed.size,
  };
}

const PREFIX_KINDS = {
  'mechcert/prefix': { output: false, complexity: 'V²(K + d)', description: 'decoupled form only: attention from a shared exp grid, logit bounds from row maxima; no V³ term' },
  'mechcert/prefix-output': { output: true, complexity: 'V³K', description: 'the output form wherever it proves more: x kept joint across the slots, the tokens nearest m bounded one by one' },
  'mechcert/prefix-budget': { output: true, complexity: 'V³', description: 'the output form on the cases that prove the most per checker operation, within 4.5V³ operations' },
} as const;

function makePrefix(name: keyof typeof PREFIX_KINDS): Strategy {
  const kind = PREFIX_KINDS[name];
  return {
    name,
    group: `mechcert ${name.slice('mechcert/'.length)}`,
    complexity: kind.complexity,
    description: `mechcert's prefix proof, ${kind.description} (SPEC §4.7)`,
    async prove(model, options, progress) {
      progress({ phase: name });
      const V = model.config.vocab;
      const budget = name === 'mechcert/prefix-budget' ? 4.5 * V ** 3 : undefined;
      const result = provePrefix(model, { output: kind.output, budget, margin: options.float32?.margin });
      progress({ phase: name, fraction: 1 });
      return result;
    },
  };
}

export const prefixStrategies: Strategy[] = (Object.keys(PREFIX_KINDS) as (keyof typeof PREFIX_KINDS)[]).map(makePrefix);
