/**
 * Mutation harness for the checker (issue 7): takes valid certificates, applies many kinds of mutation, checks every
 * mutant in-process with checkCertificate, and reports per kind the kill rate of over-claiming mutants.
 *
 *   npm run mutate -- [--mutants N] [--seed S] [--committed] [--json] [--kinds K1,K2,…] [--bases TEXT] [--help]
 *
 * A mutant is over-claiming when, by construction and independently of the checker, it claims more than its original
 * verified count N*, claims something about another model or shape, cites evidence that cannot prove its claim
 * (a wrong or missing reference, a duplicated or invalid case), or alters a witness to a false statement (an exp
 * enclosure or grid entry moved past the true value computed in float64 with a 10⁻⁶ relative margin, a scale
 * enclosure that excludes 1/√d_head, a positionOrder swap across a strict EQKP inequality, a d_head that is not the
 * model's). Every over-claiming mutant must be rejected (killed). Other mutants (a lowered claim, a perturbed hint
 * that any value makes sound: ā, μ, low-rank peels) are "neutral": either verdict is allowed, they are counted apart.
 * Independently, any verified mutant whose claim exceeds the float64 count of sequences that are possibly correct
 * (margin > −10⁻⁹) is a soundness failure, and so is a verified float32 claim (SPEC §1.1) above the least count of the
 * float32 emulator (test/float32/emulate.ts) over its summation orders, fused multiply-add and exp roundings. Bases
 * include float32 claims of brute force, cubic, a subcubic variant and mechcert/prefix-output; the semantics-* kinds
 * add, drop or corrupt it.
 * prefix-count (SPEC §4.7): the three prefix strategies on the tiny models and on two models whose path matrices are
 * set directly (test/prove/prefix-models.ts: position-dominated attention, near-ties). Its kinds: a case's top raised,
 * a case added or moved to another c (over-claiming when the changed case counts a sequence whose float margin is
 * below −tol, or is invalid or a duplicate; else neutral), top lowered with the claim kept, out made invalid, a case
 * made invalid, a format before 1.2, and with the claim raised above N* out changed (over-claiming); out changed with
 * the claim kept and two cases swapped (neutral: the counted sequences are the same). claim-change-strategy relabels
 * among the prefix labels too (neutral where the label allows the evidence), case-drop and case-duplicate apply, and
 * grid-entry-absent (neutral) sets a listed exp-grid entry to null.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkCertificate } from '../checker/check.js';
import { parseModel, serializeModel, type Model } from '../src/model/model.js';
import { logitsFromTables, pathTables } from '../src/model/paths.js';
import { certificateBytes, type Certificate } from '../src/prove/certificate.js';
import { DEFAULT_FLOAT32, float32Target, withSemantics } from '../src/prove/float32.js';
import { getStrategy } from '../src/prove/registry.js';
import { silentProgress } from '../src/prove/strategy.js';
import { minEmulatedCount } from '../test/float32/emulate.js';
import { NEAR_TIE_VARIANTS, nearTieModel } from '../test/float32/near-tie-models.js';
import { buildModel, prng } from '../test/prove/models.js';
import { pathSpecModel, prefixCaseSequences, sequenceMargins, type PrefixCaseLike } from '../test/prove/prefix-models.js';

type Json = Record<string, unknown>;
type Steps = Json[];
export interface Base {
  name: string;
  cert: Json;
  modelBytes: Uint8Array;
  model: Model;
  /** N*, the count the checker proved for the unmutated certificate. */
  counted: bigint;
  /** Float64 count of sequences whose margin is > −1e-9: no true claim exceeds it. */
  possible: bigint;
  /** The least float32 count over the emulator's orders and roundings (test/float32): no true float32 claim exceeds it. */
  possible32: bigint;
  /** 1 where a sequence's float64 margin is below −tol (certainly wrong; indexed as in prefix-models.ts), null for V > 8. */
  wrong: Uint8Array | null;
}
export interface Mutant { kind: string; over: boolean; cert: Json | Uint8Array }

const steps = (c: Json): Steps => (c.evidence as { steps: Steps }).steps;
const claim = (c: Json) => c.claim as Json;
const byKind = (c: Json, kind: string) => steps(c).filter((s) => s.kind === kind);
/** The exp-grid step's entries and the indices of those listed (non-null); null without a grid or a listed entry. */
function listedGrid(c: Json): { g: Json; hi: (string | null)[]; idx: number[] } | null {
  const g = byKind(c, 'exp-grid')[0];
  if (!g) return null;
  const hi = g.hi as (string | null)[];
  const idx = hi.map((h, i) => (h === null ? -1 : i)).filter((i) => i >= 0);
  return idx.length === 0 ? null : { g, hi, idx };
}
const countStep = (c: Json) => steps(c)[steps(c).length - 1];
const clone = (c: Json): Json => JSON.parse(JSON.stringify(c)) as Json;
const big = (s: unknown) => BigInt(s as string);

function possibleCount(model: Model): bigint {
  const { k: K, vocab: V } = model.config;
  const tables = pathTables(model);
  const tokens = new Int32Array(K);
  const logits = new Float64Array(V);
  const scratch = new Float64Array(K);
  let possible = 0n;
  for (let i = 0; i < V ** K; i++) {
    let n = i;
    for (let p = 0; p < K; p++, n = Math.floor(n / V)) tokens[p] = n % V;
    logitsFromTables(tables, tokens, 0, logits, scratch);
    let m = 0;
    for (let p = 0; p < K; p++) m = Math.max(m, tokens[p]);
    let margin = Infinity;
    for (let x = 0; x < V; x++) if (x !== m) margin = Math.min(margin, logits[m] - logits[x]);
    if (margin > -1e-9) possible++;
  }
  return possible;
}

/** Float EQKE/EQKP for the truth of exp witnesses. */
function attentionFloat(model: Model) {
  const t = pathTables(model);
  const { vocab: V, k: K } = model.config;
  return { V, K, r: t.scale, EQKE: (q: number, j: number) => t.EQKE[q * V + j], EQKP: (q: number, p: number) => t.EQKP[q * K + p] };
}

export async function loadBases(opts: { committed?: boolean } = {}): Promise<Base[]> {
  const out: Base[] = [];
  const emulated = new Map<Uint8Array, bigint>();
  const add = async (name: string, cert: Json, modelBytes: Uint8Array, model: Model) => {
    const v = await checkCertificate(certificateBytes(cert as unknown as Certificate), modelBytes);
    if (!v.verified) throw new Error(`base ${name} does not verify: ${v.error.rule}: ${v.error.message}`);
    const small = BigInt(claim(cert).total as string) <= 1296n;
    out.push({
      name, cert, modelBytes, model, counted: BigInt(v.counted), possible: model.config.vocab <= 8 ? possibleCount(model) : BigInt(claim(cert).total as string),
      possible32: !small ? BigInt(claim(cert).total as string) : emulated.get(modelBytes) ?? emulated.set(modelBytes, BigInt(minEmulatedCount(model).count)).get(modelBytes)!,
      wrong: model.config.vocab <= 8 ? wrongSequences(model) : null,
    });
  };
  const strategies = ['cubic', 'brute-force', 'subcubic/max_diff_exact/mean_query+diff/exact_EQKE+max_diff_exact',
    'subcubic/mean_query+max_diff/mean_query+diff/svd', 'subcubic/max_diff/drop_average_query_per_output_logit_reasoning/mean+max_diff_subproduct',
    'subcubic/svd_query+max_diff/mean_query+diff/mean_recursive+max_diff_subproduct_recursive', 'subcubic/global_max_diff_exact/mean_query+diff/max_diff_exact',
    ...PREFIX_STRATEGIES];
  const float32Strategies = new Set([...strategies.slice(0, 3), 'mechcert/prefix-output']);
  const specs = [
    { kind: 'solver' as const, vocab: 6, k: 3, dModel: 6, dHead: 4, seed: 5, scale: 0.05 },
    { kind: 'solver' as const, vocab: 5, k: 4, dModel: 5, dHead: 3, seed: 11, scale: 0.1 },
    { kind: 'normal' as const, vocab: 5, k: 3, dModel: 4, dHead: 4, seed: 3, scale: 1 },
  ];
  for (const spec of specs) {
    const { bytes } = buildModel(spec);
    const model = parseModel(bytes);
    for (const name of strategies) {
      const s = await getStrategy(name);
      if (!s) throw new Error(`no strategy ${name}`);
      const r = await s.prove(model, { threads: 1 }, silentProgress);
      const cert = r.certificate as unknown as Json;
      await add(`${spec.kind}-v${spec.vocab}-k${spec.k}/${name}`, cert, bytes, model);
      // The same strategy's claim about the float32 computation (SPEC §1.1), for four of the strategies.
      if (!float32Strategies.has(name)) continue;
      const target = float32Target(model);
      const r32 = await s.prove(model, { threads: 1, float32: target }, silentProgress);
      await add(`${spec.kind}-v${spec.vocab}-k${spec.k}/${name} float32`, withSemantics(r32.certificate, target.semantics) as unknown as Json, bytes, model);
    }
  }
  // Models on which float32 gets near-ties wrong that exact arithmetic gets right: an exact claim relabelled as
  // float32 over-claims there (semantics-add), and the unsound check holds float32 claims to the emulated count.
  for (const variant of NEAR_TIE_VARIANTS) {
    const bytes = serializeModel(nearTieModel(variant));
    const model = parseModel(bytes);
    const target = float32Target(model);
    for (const name of [...strategies.slice(0, 2), 'mechcert/prefix-output']) {
      const s = (await getStrategy(name))!;
      await add(`near-tie-${variant}/${name}`, (await s.prove(model, { threads: 1 }, silentProgress)).certificate as unknown as Json, bytes, model);
      const r32 = await s.prove(model, { threads: 1, float32: target }, silentProgress);
      await add(`near-tie-${variant}/${name} float32`, withSemantics(r32.certificate, target.semantics) as unknown as Json, bytes, model);
    }
  }
  // Models whose path matrices are set directly (attention decided by position; runner-up outputs within 10⁻³ and
  // tied scores), for the prefix strategies only.
  for (const spec of [{ style: 'position' as const, vocab: 5, k: 4, seed: 3, scale: 0.3 }, { style: 'near-tie' as const, vocab: 6, k: 3, seed: 2, scale: 0.05 }]) {
    const { model, bytes } = pathSpecModel(spec);
    for (const name of PREFIX_STRATEGIES) {
      const r = await (await getStrategy(name))!.prove(model, { threads: 1 }, silentProgress);
      await add(`path-${spec.style}-v${spec.vocab}-k${spec.k}/${name}`, r.certificate as unknown as Json, bytes, model);
    }
  }
  if (opts.committed) {
    const root = join(import.meta.dirname, '..');
    for (const seed of [123, 50, 104]) {
      const bytes = readFileSync(join(root, `models/max4-v64-s${seed}.safetensors`));
      for (const kind of ['cubic', 'subcubic']) {
        const cert = JSON.parse(readFileSync(join(root, `certificates/max4-v64-s${seed}.${kind}.json`), 'utf8')) as Json;
        await add(`committed s${seed} ${kind}`, cert, bytes, parseModel(bytes));
      }
    }
  }
  return out;
}

/** One random mutant of `base` (rand: uniform in [0, 1)). Returns null when the kind does not apply. */
export function mutate(base: Base, kind: string, rand: () => number): Mutant | null {
  const c = clone(base.cert);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const total = big(claim(c).total);
  const N = base.counted;
  const over = (cert: Json | Uint8Array = c): Mutant => ({ kind, over: true, cert });
  const neutral = (): Mutant => ({ kind, over: false, cert: c });
  const att = () => attentionFloat(base.model);
  const cs = countStep(c);
  const tables = byKind(c, 'exp-table');
  switch (kind) {
    case 'claim-raise-correct': {
      if (N >= total) return null;
      const extra = pick([1n, 2n, BigInt(1 + Math.floor(rand() * 1000)), total - N]);
      claim(c).correct = (N + (extra > total - N ? total - N : extra)).toString();
      return over();
    }
    case 'claim-lower-correct':
      claim(c).correct = (N === 0n ? 0n : N - 1n - BigInt(Math.floor(rand() * Number(N)))).toString();
      return neutral();
    case 'claim-change-sha': {
      const sha = claim(c).modelSha256 as string;
      const i = Math.floor(rand() * 64);
      claim(c).modelSha256 = sha.slice(0, i) + ((parseInt(sha[i], 16) + 1 + Math.floor(rand() * 15)) % 16).toString(16) + sha.slice(i + 1);
      return over();
    }
    case 'claim-change-k': {
      const k = (claim(c).k as number) + pick([-1, 1, 2]);
      if (k < 1) return null;
      claim(c).k = k;
      claim(c).total = (BigInt(claim(c).vocab as number) ** BigInt(k)).toString();
      return over();
    }
    case 'claim-change-vocab': {
      const v = (claim(c).vocab as number) + pick([-1, 1, 3]);
      claim(c).vocab = v;
      claim(c).total = (BigInt(v) ** BigInt(claim(c).k as number)).toString();
      if (N > BigInt(claim(c).total as string)) claim(c).correct = claim(c).total;
      return over();
    }
    case 'claim-change-total': {
      claim(c).total = (total + pick([1n, -1n, total])).toString();
      return over();
    }
    case 'claim-change-strategy': {
      const s = claim(c).strategy as string;
      if (cs.kind === 'prefix-count') {
        // Another prefix label is a legitimate certificate where it allows the evidence (mechcert/prefix: no `out`).
        const to = pick([...PREFIX_STRATEGIES, 'cubic', 'subcubic/max_diff/mean_query+diff/svd'].filter((x) => x !== s));
        claim(c).strategy = to;
        const hasOut = (cs.cases as Json[]).some((x) => x.out !== undefined);
        return to.startsWith('mechcert/prefix') && (to !== 'mechcert/prefix' || !hasOut) ? neutral() : over();
      }
      claim(c).strategy = s === 'cubic' ? 'brute-force' : s === 'brute-force' ? 'cubic' : pick(['cubic', 'brute-force']);
      return over();
    }
    case 'scale-false': {
      const s = byKind(c, 'inv-sqrt-scale')[0];
      const r = att().r;
      if (rand() < 0.5) { s.lo = (r * 1.001).toFixed(12); s.hi = (r * 1.01).toFixed(12); } else { s.lo = (r * 0.99).toFixed(12); s.hi = (r * 0.999).toFixed(12); }
      claim(c).correct = N.toString();
      return over();
    }
    case 'scale-change-dhead': {
      const s = byKind(c, 'inv-sqrt-scale')[0];
      s.dHead = (s.dHead as number) + pick([1, 2, -1]);
      return over();
    }
    case 'exp-entry-false': {
      // One entry of an exp table moved past the true value (float, 1e-6 relative margin): lo above it or hi below.
      const t = pick(tables);
      const a = att();
      const lo = t.lo as string[][];
      const hi = t.hi as string[][];
      const q = Math.floor(rand() * lo.length);
      const j = Math.floor(rand() * lo[q].length);
      const X = t.source === 'EQKE' ? a.EQKE : a.EQKP;
      const shift = (t.shift as number[])[q];
      const truth = Math.exp(a.r * (X(q, j) - X(q, shift))) * 2 ** (t.fracBits as number);
      if (rand() < 0.5) {
        const v = BigInt(Math.ceil(truth * (1 + 1e-6) + 2));
        lo[q][j] = v.toString();
        if (big(hi[q][j]) < v) hi[q][j] = v.toString();
      } else {
        const f = Math.floor(truth * (1 - 1e-6) - 2);
        if (f < 0) return null;
        hi[q][j] = f.toString();
        if (big(lo[q][j]) > BigInt(f)) lo[q][j] = f.toString();
      }
      return over();
    }
    case 'exp-lo-above-hi': {
      const t = pick(tables);
      const lo = t.lo as string[][];
      const hi = t.hi as string[][];
      const q = Math.floor(rand() * lo.length);
      const j = Math.floor(rand() * lo[q].length);
      lo[q][j] = (big(hi[q][j]) * 2n + 1n).toString();
      return over();
    }
    case 'exp-shift-change': {
      const t = pick(tables);
      const a = att();
      const X = t.source === 'EQKE' ? a.EQKE : a.EQKP;
      const shift = t.shift as number[];
      const q = Math.floor(rand() * shift.length);
      const cols = (t.lo as string[][])[q].length;
      const j = Math.floor(rand() * cols);
      if (X(q, j) > X(q, shift[q]) - 1e-6 * (1 + Math.abs(X(q, shift[q])))) return null;
      shift[q] = j;
      return over();
    }
    case 'exp-mantissa-perturb': {
      // Rescale one table's fracBits without rescaling its mantissas: every entry becomes a different (false) value.
      const t = pick(tables);
      const F = t.fracBits as number;
      t.fracBits = F + pick([-1, 1, 2]);
      return over();
    }
    case 'grid-entry-false': {
      const listed = listedGrid(c);
      if (!listed) return null;
      const { g, hi } = listed;
      const i = pick(listed.idx);
      const r = att().r;
      const z = ((g.base as number) + i) / 2 ** (g.stepBits as number);
      const truth = Math.exp(r * z) * 2 ** (g.fracBits as number);
      const f = Math.floor(truth * (1 - 1e-6) - 2);
      if (f < 0) return null;
      hi[i] = f.toString();
      return over();
    }
    case 'position-order-swap': {
      const po = cs.positionOrder as number[][] | undefined;
      if (!po || po[0].length < 2) return null;
      const a = att();
      const q = Math.floor(rand() * po.length);
      const i = Math.floor(rand() * (po[q].length - 1));
      const [p0, p1] = [po[q][i], po[q][i + 1]];
      if (a.EQKP(q, p1) - a.EQKP(q, p0) < 1e-6 * (1 + Math.abs(a.EQKP(q, p0)))) return null;
      [po[q][i], po[q][i + 1]] = [p1, p0];
      return over();
    }
    case 'reference-change': {
      const fields = Object.keys(cs).filter((k) => ['expE', 'expP', 'grid', 'scale'].includes(k));
      const all = steps(c);
      const f = pick(fields.length ? fields : ['expE']);
      const choices = [...all.map((s) => s.id as string).filter((id) => id !== cs[f]), 'no-such-step'];
      cs[f] = pick(choices);
      // Citing the other table of the same source would be a legitimate certificate; make sure the kind or source differs.
      const target = all.find((s) => s.id === cs[f]);
      const want = f === 'expE' ? 'EQKE' : f === 'expP' ? 'EQKP' : null;
      if (target && target.kind === 'exp-table' && want !== null && target.source === want) return null;
      return over();
    }
    case 'step-reorder': {
      const all = steps(c);
      if (all.length < 3) return null;
      const i = Math.floor(rand() * (all.length - 1));
      // Over-claiming when the swap makes a citation point forward or moves the count step off the end; swapping two
      // independent tables is a legitimate certificate (neutral).
      const cites = Object.values(all[i + 1]).includes(all[i].id);
      [all[i], all[i + 1]] = [all[i + 1], all[i]];
      return cites || i + 1 === all.length - 1 ? over() : neutral();
    }
    case 'step-drop': {
      const all = steps(c);
      all.splice(Math.floor(rand() * all.length), 1);
      return over();
    }
    case 'step-duplicate': {
      const all = steps(c);
      const i = Math.floor(rand() * all.length);
      all.splice(i + 1, 0, clone(all[i]));
      return over();
    }
    case 'case-drop': {
      if (cs.kind === 'prefix-count') {
        // Every prefix case counts at least one sequence: the claim N* is then above the count.
        const cases = cs.cases as Json[];
        if (cases.length === 0) return null;
        cases.splice(Math.floor(rand() * cases.length), 1);
        return over();
      }
      if (cs.kind === 'cubic-count') {
        const cases = cs.cases as Json[];
        const live = cases.map((x, i) => i);
        if (live.length === 0) return null;
        const i = pick(live);
        const x = cases[i];
        const n = cubicCaseCount(x, claim(c).k as number);
        cases.splice(i, 1);
        if (n === 0n) return null;
        claim(c).correct = N.toString();
        return over();
      }
      if (cs.kind === 'subcubic-count') {
        const cells = gapCells(cs);
        if (cells.length === 0) return null;
        const [m, cc, q] = pick(cells);
        (cs.gaps as number[][][])[m][cc][q] = 0;
        claim(c).correct = N.toString();
        return over();
      }
      return null;
    }
    case 'case-duplicate': {
      if (cs.kind === 'prefix-count') {
        const cases = cs.cases as Json[];
        if (cases.length === 0) return null;
        const i = Math.floor(rand() * cases.length);
        cases.splice(i + 1, 0, clone(cases[i]));
        claim(c).correct = (N + prefixCaseCount(cases[i], claim(c).k as number)).toString();
        return over();
      }
      if (cs.kind !== 'cubic-count') return null;
      const cases = cs.cases as Json[];
      if (cases.length === 0) return null;
      const x = pick(cases);
      cases.push(clone(x));
      claim(c).correct = (N + cubicCaseCount(x, claim(c).k as number)).toString();
      return over();
    }
    case 'case-add-invalid': {
      if (cs.kind !== 'cubic-count') return null;
      const V = claim(c).vocab as number;
      const K = claim(c).k as number;
      const m = Math.floor(rand() * V);
      const bad = pick([
        { q: Math.min(V - 1, m + 1), m, c: 0, bound: '-1' }, // q > m (or a duplicate of m…m when m = V − 1)
        { q: 0, m: Math.max(1, m), c: K - 1, good: '1', bound: '-1' }, // c = K − 1 with q < m
        { q: m, m, c: 1, good: (1n << BigInt(m)).toString(16), bound: '-1' }, // good bit at m
      ]);
      if (bad.q > bad.m || (bad.c === K - 1 && bad.q < bad.m) || bad.good === (1n << BigInt(bad.m)).toString(16)) {
        (cs.cases as Json[]).push(bad);
        claim(c).correct = (N + 1n).toString();
        return over();
      }
      return null;
    }
    case 'good-bit-add': {
      // Widen a region: one more good token, and the claim raised by the sequences added.
      if (cs.kind !== 'cubic-count') return null;
      const K = claim(c).k as number;
      const cases = (cs.cases as Json[]).filter((x) => (x.c as number) > 0);
      if (cases.length === 0) return null;
      const x = pick(cases);
      const mask = BigInt(`0x${x.good as string}`);
      const free = Array.from({ length: x.m as number }, (_, k) => k).filter((k) => !((mask >> BigInt(k)) & 1n));
      if (free.length === 0) return null;
      const before = cubicCaseCount(x, K);
      x.good = (mask | (1n << BigInt(pick(free)))).toString(16);
      claim(c).correct = (N + cubicCaseCount(x, K) - before).toString();
      return over();
    }
    case 'bound-tighten': {
      // b → b − L with L above every possible |ℓ_x − ℓ_m| (float): the bound is then false for every sequence.
      if (cs.kind !== 'cubic-count') return null;
      const cases = cs.cases as Json[];
      if (cases.length === 0) return null;
      const x = pick(cases);
      const L = logitRange(base.model);
      x.bound = pick([`-${Math.ceil(2 * L + 1)}`, `-${Math.ceil(4 * L + 7)}/3`]);
      return over();
    }
    case 'bound-to-zero': {
      if (cs.kind !== 'cubic-count') return null;
      const cases = cs.cases as Json[];
      if (cases.length === 0) return null;
      pick(cases).bound = pick(['0', '1/1000000', '0.0']);
      return over();
    }
    case 'gap-widen': {
      // A subcubic cell made wider (smaller gap g), the claim raised by the sequences added.
      if (cs.kind !== 'subcubic-count') return null;
      const K = claim(c).k as number;
      const cells = gapCells(cs).filter(([m, cc, q]) => cc > 0 && (cs.gaps as number[][][])[m][cc][q] > 1);
      if (cells.length === 0) return null;
      const [m, cc, q] = pick(cells);
      const gaps = cs.gaps as number[][][];
      const before = subcubicCellCount(m, cc, q, gaps[m][cc][q], K);
      gaps[m][cc][q] -= 1;
      claim(c).correct = (N + subcubicCellCount(m, cc, q, gaps[m][cc][q], K) - before).toString();
      return over();
    }
    case 'gap-narrow': {
      if (cs.kind !== 'subcubic-count') return null;
      const K = claim(c).k as number;
      const cells = gapCells(cs).filter(([m, cc, q]) => cc > 0 && (cs.gaps as number[][][])[m][cc][q] < m);
      if (cells.length === 0) return null;
      const [m, cc, q] = pick(cells);
      const gaps = cs.gaps as number[][][];
      const before = subcubicCellCount(m, cc, q, gaps[m][cc][q], K);
      gaps[m][cc][q] += 1;
      if (subcubicCellCount(m, cc, q, gaps[m][cc][q], K) === before) return null;
      claim(c).correct = N.toString();
      return over();
    }
    case 'gap-invalid': {
      if (cs.kind !== 'subcubic-count') return null;
      const gaps = cs.gaps as number[][][];
      const V = gaps.length;
      const m = 1 + Math.floor(rand() * (V - 1));
      const variant = Math.floor(rand() * 3);
      if (variant === 0) gaps[m][0][Math.floor(rand() * m)] = 1; // c = 0 with q < m
      else if (variant === 1) gaps[m][1][m] = m + 1; // g > m
      else gaps[m][1][m - 1 + (m > 1 ? 0 : 0)] = Math.max(gaps[m][1][m - 1], m); // q = m − 1 > m − g
      if (variant === 2 && m - gaps[m][1][m - 1] >= m - 1) return null;
      claim(c).correct = (N + 1n).toString();
      return over();
    }
    case 'hint-perturb': {
      // Witnesses that any value makes sound (ā, μ, peels, the row-norm e): a poor value only proves less.
      if (cs.kind !== 'subcubic-count') return null;
      const targets: [Json | unknown[], string | number][] = [];
      const collect = (o: unknown) => {
        if (Array.isArray(o)) o.forEach((v, i) => (typeof v === 'string' ? targets.push([o, i]) : collect(v)));
        else if (o && typeof o === 'object') {
          for (const [k, v] of Object.entries(o)) {
            if (typeof v === 'string' && k !== 'mode' && k !== 'bound') targets.push([o as Json, k]);
            else collect(v);
          }
        }
      };
      collect(cs.abar);
      collect(cs.eu);
      collect(cs.eqke);
      if (targets.length === 0) return null;
      const [o, k] = pick(targets);
      const v = big((o as Record<string | number, unknown>)[k]);
      (o as Record<string | number, unknown>)[k] = (v + BigInt(Math.floor((rand() - 0.5) * 2 ** 20)) * (rand() < 0.2 ? 2n ** 40n : 1n)).toString();
      return neutral();
    }
    case 'hint-perturb-overclaim': {
      // The same, with the claim raised above N*: no hint makes the evidence prove more than the claim allows here.
      const m = mutate(base, 'hint-perturb', rand);
      if (!m || N >= total) return null;
      claim(m.cert as Json).correct = (N + 1n).toString();
      return { kind, over: true, cert: m.cert };
    }
    case 'bytes-truncate': {
      const b = certificateBytes(c as unknown as Certificate);
      return over(b.subarray(0, Math.floor(rand() * b.length)));
    }
    case 'bytes-flip': {
      // One byte changed inside a digit run of correct, the sha, or a number: parsing may still succeed.
      const b = certificateBytes(c as unknown as Certificate).slice();
      const text = new TextDecoder().decode(b);
      const at = text.indexOf('"correct"') + 11;
      const i = at + Math.floor(rand() * String(claim(c).correct).length);
      if (b[i] < 0x30 || b[i] > 0x39 || b[i] === 0x39) return null;
      b[i] += 1 + Math.floor(rand() * (0x39 - b[i]));
      return over(b);
    }
    case 'semantics-add': {
      // An exact claim relabelled as float32: true only where ε costs nothing; the unsound check compares it with the
      // emulated float32 count.
      if (claim(c).semantics) return null;
      Object.assign(c, { format: c.format === 'mechcert/1.2' ? 'mechcert/1.2' : 'mechcert/1.1' });
      claim(c).semantics = { ...DEFAULT_FLOAT32 };
      return neutral();
    }
    case 'semantics-drop': {
      // A float32 claim read as exact: the float32 count never exceeds the exact one, so it stays true.
      if (!claim(c).semantics) return null;
      delete claim(c).semantics;
      return neutral();
    }
    case 'semantics-format-1.0': {
      // A 1.0 checker would read a float32 claim as an exact one: the format must say 1.1.
      if (!claim(c).semantics) return null;
      Object.assign(c, { format: 'mechcert/1' });
      return over();
    }
    case 'semantics-ulps-invalid': {
      if (!claim(c).semantics) return null;
      (claim(c).semantics as Json)[pick(['expUlps', 'divUlps', 'sqrtUlps'])] = pick(['1048577', '-1', '1e3', '2.', '']);
      return over();
    }
    case 'grid-entry-absent': {
      // A listed entry made null: a case that reads it is rejected, one the prover's search only looked up is not.
      const listed = listedGrid(c);
      if (!listed) return null;
      listed.hi[pick(listed.idx)] = null;
      return neutral();
    }
    default:
      return mutatePrefix(base, kind, c, rand);
  }
}

const PREFIX_STRATEGIES = ['mechcert/prefix', 'mechcert/prefix-output', 'mechcert/prefix-budget'];

/** The prefix-count kinds (SPEC §4.7); null for other bases. */
function mutatePrefix(base: Base, kind: string, c: Json, rand: () => number): Mutant | null {
  const cs = countStep(c);
  if (!PREFIX_KINDS.includes(kind)) throw new Error(`unknown mutation kind ${kind}`);
  if (cs.kind !== 'prefix-count') return null;
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const N = base.counted;
  const { k: K, vocab: V } = claim(c) as { k: number; vocab: number };
  const cases = cs.cases as Json[];
  const over = (): Mutant => ({ kind, over: true, cert: c });
  const neutral = (): Mutant => ({ kind, over: false, cert: c });
  const setClaim = (n: bigint) => { claim(c).correct = n.toString(); };
  const count = (x: Json) => prefixCaseCount(x, K);
  const key = (x: Json) => ((x.m as number) * V + (x.q as number)) * K + (x.c as number);
  /** Over-claiming when the case counts a certainly wrong sequence, else neutral. */
  const byTruth = (x: Json): Mutant => (base.wrong && prefixCaseSequences(V, K, x as unknown as PrefixCaseLike).some((i) => base.wrong![i]) ? over() : neutral());
  switch (kind) {
    case 'prefix-top-raise': {
      const xs = cases.filter((x) => (x.c as number) > 0 && (x.top as number) < (x.m as number) - 1);
      if (xs.length === 0) return null;
      const x = pick(xs);
      const before = count(x);
      x.top = int((x.top as number) + 1, (x.m as number) - 1);
      setClaim(N + count(x) - before);
      return byTruth(x);
    }
    case 'prefix-top-lower': {
      // Fewer sequences in the case, the claim kept at N*.
      const xs = cases.filter((x) => (x.c as number) > 0 && (x.top as number) > 0);
      if (xs.length === 0) return null;
      const x = pick(xs);
      x.top = int(0, (x.top as number) - 1);
      if (x.out !== undefined) x.out = Math.min(x.out as number, x.top as number);
      return over();
    }
    case 'prefix-out-change':
    case 'prefix-out-change-overclaim': {
      // out moved within −1..top, added or removed: the case counts the same sequences.
      if (cases.length === 0) return null;
      const i = Math.floor(rand() * cases.length);
      const x = cases[i];
      const choices: (number | undefined)[] = [undefined, ...Array.from({ length: (x.top as number | undefined ?? -1) + 2 }, (_, j) => j - 1)].filter((o) => o !== x.out);
      const o = pick(choices);
      // Without out, the case in the decoupled form: (q, m, c, top) alone.
      if (o === undefined) cases[i] = Object.fromEntries(Object.entries(x).filter(([k]) => ['q', 'm', 'c', 'top'].includes(k)));
      else x.out = o;
      if (kind === 'prefix-out-change') return neutral();
      if (N >= big(claim(c).total)) return null;
      setClaim(N + 1n);
      return over();
    }
    case 'prefix-out-invalid': {
      const xs = cases.filter((x) => x.out !== undefined || rand() < 0.3);
      if (xs.length === 0) return null;
      const x = pick(xs);
      x.out = pick([(x.top as number | undefined ?? -1) + int(1, 3), -2]);
      return over();
    }
    case 'prefix-c-change': {
      if (cases.length === 0) return null;
      const i = Math.floor(rand() * cases.length);
      const x = cases[i];
      const before = count(x);
      const c2 = (x.c as number) + pick([-1, 1, 2]);
      if (c2 < 0 || (c2 > 0 && (x.m as number) === 0)) return null;
      x.c = c2;
      if (c2 === 0) {
        delete x.top;
        if (x.out !== undefined) x.out = -1;
      } else if (x.top === undefined) x.top = int(0, (x.m as number) - 1);
      if (c2 > (x.q === x.m ? K - 1 : K - 2)) {
        setClaim(N + 1n);
        return over();
      }
      cases.sort((a, b) => key(a) - key(b));
      setClaim(N - before + count(x));
      return cases.some((y) => y !== x && key(y) === key(x)) ? over() : byTruth(x);
    }
    case 'prefix-case-add': {
      const m = int(0, V - 1);
      const q = int(0, m);
      const cc = int(0, q === m ? K - 1 : K - 2);
      if (cc > 0 && m === 0) return null;
      const x: Json = { q, m, c: cc };
      if (cc > 0) x.top = int(0, m - 1);
      if (rand() < 0.5) x.out = int(-1, (x.top as number | undefined) ?? -1);
      if (cases.some((y) => key(y) === key(x))) return null;
      cases.push(x);
      cases.sort((a, b) => key(a) - key(b));
      setClaim(N + count(x));
      return byTruth(x);
    }
    case 'prefix-case-invalid': {
      // top at or above m, top missing on c ≥ 1 or present on c = 0, q above m, or c = K − 1 with q < m.
      const variant = int(0, 4);
      const withTop = cases.filter((x) => (x.c as number) > 0);
      const withoutTop = cases.filter((x) => x.c === 0);
      const below = cases.filter((x) => (x.q as number) < (x.m as number) && (x.c as number) > 0);
      if (variant === 0 && withTop.length) { const x = pick(withTop); x.top = (x.m as number) + int(0, 2); }
      else if (variant === 1 && withTop.length) { const x = pick(withTop); delete x.top; if (x.out !== undefined) x.out = -1; }
      else if (variant === 2 && withoutTop.length) { pick(withoutTop).top = 0; }
      else if (variant === 3) {
        const m = int(0, V - 2);
        cases.push({ q: m + 1, m, c: 0 });
        cases.sort((a, b) => key(a) - key(b));
      } else if (variant === 4 && below.length) pick(below).c = K - 1;
      else return null;
      setClaim(N + 1n);
      return over();
    }
    case 'prefix-case-swap': {
      if (cases.length < 2) return null;
      const i = Math.floor(rand() * (cases.length - 1));
      [cases[i], cases[i + 1]] = [cases[i + 1], cases[i]];
      return neutral();
    }
    case 'prefix-format-old':
      // A checker of format 1.1 or 1.0 does not know the step: the format must say 1.2.
      c.format = pick(['mechcert/1.1', 'mechcert/1']);
      return over();
    default:
      return null;
  }
}

const PREFIX_KINDS = ['prefix-top-raise', 'prefix-top-lower', 'prefix-out-change', 'prefix-out-change-overclaim', 'prefix-out-invalid',
  'prefix-c-change', 'prefix-case-add', 'prefix-case-invalid', 'prefix-case-swap', 'prefix-format-old'];

export const KINDS = [
  'claim-raise-correct', 'claim-lower-correct', 'claim-change-sha', 'claim-change-k', 'claim-change-vocab', 'claim-change-total',
  'claim-change-strategy', 'scale-false', 'scale-change-dhead', 'exp-entry-false', 'exp-lo-above-hi', 'exp-shift-change',
  'exp-mantissa-perturb', 'grid-entry-false', 'grid-entry-absent', 'position-order-swap', 'reference-change', 'step-reorder', 'step-drop',
  'step-duplicate', 'case-drop', 'case-duplicate', 'case-add-invalid', 'good-bit-add', 'bound-tighten', 'bound-to-zero',
  'gap-widen', 'gap-narrow', 'gap-invalid', 'hint-perturb', 'hint-perturb-overclaim', 'bytes-truncate', 'bytes-flip',
  'semantics-add', 'semantics-drop', 'semantics-format-1.0', 'semantics-ulps-invalid', ...PREFIX_KINDS,
];

/** Sequences a prefix case counts: C(K−1, c)·(top+1)^c (0 for c > K − 1). */
function prefixCaseCount(x: Json, K: number): bigint {
  const c = x.c as number;
  return c === 0 ? 1n : binom(K - 1, c) * BigInt((x.top as number) + 1) ** BigInt(c);
}
/** 1 where a sequence's float64 margin is below −tol (prefix-models.ts's index and tolerance). */
function wrongSequences(model: Model): Uint8Array {
  const { margin, tol } = sequenceMargins(model);
  return Uint8Array.from(margin, (x) => (x < -tol ? 1 : 0));
}
function cubicCaseCount(x: Json, K: number): bigint {
  const c = x.c as number;
  if (c === 0) return 1n;
  let good = 0n;
  for (let v = BigInt(`0x${x.good as string}`); v; v >>= 1n) good += v & 1n;
  return binom(K - 1, c) * good ** BigInt(c);
}
function subcubicCellCount(m: number, c: number, q: number, g: number, K: number): bigint {
  if (g === 0) return 0n;
  const cp = q === m ? c : c - 1;
  return binom(K - 1, cp) * BigInt(m - g + 1) ** BigInt(cp);
}
function gapCells(cs: Json): [number, number, number][] {
  const out: [number, number, number][] = [];
  (cs.gaps as number[][][]).forEach((gm, m) => gm.forEach((row, c) => row.forEach((g, q) => { if (g > 0) out.push([m, c, q]); })));
  return out;
}
function binom(n: number, k: number): bigint {
  let r = 1n;
  for (let i = 0; i < k; i++) r = (r * BigInt(n - i)) / BigInt(i + 1);
  return r;
}
/** An upper bound on |ℓ_x − ℓ_m| over all sequences (float). */
function logitRange(model: Model): number {
  const t = pathTables(model);
  let s = 0;
  for (const a of [t.EU, t.EVOU, t.PVOU]) s += 2 * a.reduce((x, y) => Math.max(x, Math.abs(y)), 0);
  return s + 1;
}

export interface Tally { total: number; over: number; killed: number; neutral: number; neutralRejected: number; unsound: number; survivors: string[] }

/** Checks `count` mutants, spread evenly over kinds and bases (fixed seed). */
export async function runMutants(bases: Base[], count: number, seed: number, kinds = KINDS): Promise<Map<string, Tally>> {
  const rand = prng(seed);
  const tallies = new Map<string, Tally>(kinds.map((k) => [k, { total: 0, over: 0, killed: 0, neutral: 0, neutralRejected: 0, unsound: 0, survivors: [] }]));
  let made = 0;
  for (let attempt = 0; made < count && attempt < count * 20; attempt++) {
    const kind = kinds[attempt % kinds.length];
    const base = bases[Math.floor(rand() * bases.length)];
    const m = mutate(base, kind, rand);
    if (!m) continue;
    made++;
    const bytes = m.cert instanceof Uint8Array ? m.cert : new TextEncoder().encode(JSON.stringify(m.cert));
    const v = await checkCertificate(bytes, base.modelBytes);
    const t = tallies.get(kind)!;
    t.total++;
    if (m.over) {
      t.over++;
      if (!v.verified) t.killed++;
      else if (t.survivors.length < 5) t.survivors.push(`${base.name}: ${JSON.stringify(v.claim)}`);
    } else {
      t.neutral++;
      if (!v.verified) t.neutralRejected++;
    }
    // N* (≥ the claim): a lowered claim must not hide an unsound count.
    if (v.verified && BigInt(v.counted) > (v.claim.semantics ? base.possible32 : base.possible)) t.unsound++;
  }
  return tallies;
}

export function formatTallies(tallies: Map<string, Tally>): string {
  const rows = [['kind', 'mutants', 'over-claiming', 'killed', 'kill rate', 'neutral', 'neutral rejected', 'unsound']];
  let over = 0;
  let killed = 0;
  let total = 0;
  let unsound = 0;
  for (const [k, t] of tallies) {
    rows.push([k, String(t.total), String(t.over), String(t.killed), t.over ? `${((100 * t.killed) / t.over).toFixed(2)}%` : '-', String(t.neutral), String(t.neutralRejected), String(t.unsound)]);
    over += t.over;
    killed += t.killed;
    total += t.total;
    unsound += t.unsound;
  }
  rows.push(['all', String(total), String(over), String(killed), over ? `${((100 * killed) / over).toFixed(2)}%` : '-', '', '', String(unsound)]);
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) => r.map((x, i) => (i === 0 ? x.padEnd(w[i]) : x.padStart(w[i]))).join('  '));
  for (const [k, t] of tallies) for (const s of t.survivors) lines.push(`SURVIVOR ${k}: ${s}`);
  return lines.join('\n');
}

const USAGE = `npm run mutate -- [options]
  --mutants N      mutants to check (default 10000), spread evenly over the kinds
  --seed S         the random seed (default 1)
  --committed      add the committed V = 64 cubic and subcubic certificates as bases
  --kinds K1,K2    only these kinds (default all: ${KINDS.join(', ')})
  --bases TEXT     only the bases whose name contains TEXT (e.g. mechcert/prefix)
  --json           the tallies as JSON
Exit code 1 when an over-claiming mutant survives or a verified mutant is unsound.`;

async function main(argv: string[]): Promise<number> {
  const arg = (name: string, dflt: string) => {
    const i = argv.indexOf(name);
    return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
  };
  if (argv.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const count = Number(arg('--mutants', '10000'));
  const seed = Number(arg('--seed', '1'));
  const kinds = arg('--kinds', '') ? arg('--kinds', '').split(',') : KINDS;
  const unknown = kinds.filter((k) => !KINDS.includes(k));
  if (unknown.length) throw new Error(`unknown kinds ${unknown.join(', ')}`);
  const t0 = performance.now();
  const bases = (await loadBases({ committed: argv.includes('--committed') })).filter((b) => b.name.includes(arg('--bases', '')));
  if (bases.length === 0) throw new Error(`no base certificate's name contains ${arg('--bases', '')}`);
  const t1 = performance.now();
  const tallies = await runMutants(bases, count, seed, kinds);
  const t2 = performance.now();
  if (argv.includes('--json')) process.stdout.write(`${JSON.stringify(Object.fromEntries(tallies))}\n`);
  else process.stdout.write(`${formatTallies(tallies)}\n`);
  process.stdout.write(`${bases.length} base certificates (${((t1 - t0) / 1000).toFixed(1)} s), ${count} mutants checked in ${((t2 - t1) / 1000).toFixed(1)} s, seed ${seed}\n`);
  let bad = 0;
  for (const t of tallies.values()) bad += t.over - t.killed + t.unsound;
  return bad === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => { console.error(e); process.exitCode = 2; });
}
