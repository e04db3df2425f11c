/**
 * Writes the checker's hand-made fixtures (test/fixtures/{pass,fail,malformed}/checker-*.json and the model they use,
 * test/fixtures/models/checker-solver-k3-v5.safetensors). Run: node --import tsx test/checker/make-fixtures.ts
 * Every fail file is a valid certificate with one defect, named after it; fixtures.test.ts checks the verdicts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { checkCertificate } from '../../checker/check.js';
import { bruteForceCertificate, cubicCertificate, encode, tinyModel } from './helpers.js';

const root = join(import.meta.dirname, '../fixtures');
const t = tinyModel('solver', 3, 5, 2);
const { cert: cubic, count } = cubicCertificate(t);
const probe = await checkCertificate(encode(bruteForceCertificate(t, 0n)), t.bytes);
if (!probe.verified) throw new Error(probe.error.message);
const bf = bruteForceCertificate(t, BigInt(probe.counted));

type Json = Record<string, unknown> & { claim: Record<string, unknown>; evidence: { steps: Record<string, unknown>[] } };
const text = (c: unknown) => `${JSON.stringify(c)}\n`;
const write = (dir: string, name: string, data: string | Uint8Array) => {
  mkdirSync(join(root, dir), { recursive: true });
  writeFileSync(join(root, dir, name), data);
};
const variant = (base: unknown, f: (c: Json) => void): string => {
  const c = structuredClone(base) as Json;
  f(c);
  return text(c);
};
const cases = (c: Json) => c.evidence.steps[3].cases as { q: number; m: number; c: number; good?: string; bound: string }[];
const table = (c: Json, i: number) => c.evidence.steps[i] as { lo: string[][]; hi: string[][]; shift: number[] };

write('models', 'checker-solver-k3-v5.safetensors', t.bytes);
write('pass', 'checker-cubic-solver-k3-v5.json', text(cubic));
write('pass', 'checker-brute-force-solver-k3-v5.json', text(bf));
write('pass', 'checker-brute-force-solver-k3-v5.json.gz', gzipSync(text(bf)));

const fail: Record<string, [unknown, (c: Json) => void]> = {
  'claim-exceeds-count': [cubic, (c) => { c.claim.correct = (count + 1n).toString(); }],
  'brute-force-claim-exceeds-count': [bf, (c) => { c.claim.correct = (BigInt(probe.counted) + 1n).toString(); }],
  'bound-too-tight': [cubic, (c) => { cases(c).find((x) => x.c > 0)!.bound = '-100'; }],
  'bound-not-negative': [cubic, (c) => { cases(c)[0].bound = '0'; }],
  'duplicate-case': [cubic, (c) => { cases(c).push(cases(c)[0]); }],
  'good-bit-above-max': [cubic, (c) => { const x = cases(c).find((y) => y.c > 0)!; x.good = (BigInt(`0x${x.good}`) | (1n << BigInt(x.m))).toString(16); }],
  'c-too-large-for-query-below-max': [cubic, (c) => { cases(c).push({ q: 0, m: 4, c: 2, good: '1', bound: '-1' }); }],
  'position-order-unsorted': [cubic, (c) => { (c.evidence.steps[3].positionOrder as number[][]).forEach((r) => r.reverse()); }],
  'exp-lo-above-value': [cubic, (c) => { const e = table(c, 1); e.lo[1][0] = e.hi[1][0] = (BigInt(e.hi[1][0]) + 2n).toString(); }],
  'exp-hi-below-value': [cubic, (c) => { const e = table(c, 2); e.hi[1][0] = e.lo[1][0] = (BigInt(e.lo[1][0]) / 2n).toString(); }],
  'exp-shift-not-row-max': [cubic, (c) => { const e = table(c, 1); const s = (e.shift[0] + 1) % 5; e.shift[0] = s; e.lo[0][s] = e.hi[0][s] = (1n << 40n).toString(); }],
  'scale-lo-above-value': [cubic, (c) => { c.evidence.steps[0].lo = '0.6'; c.evidence.steps[0].hi = '0.7'; }],
  'scale-wrong-dhead': [cubic, (c) => { c.evidence.steps[0].dHead = 4; }],
  'wrong-model-sha': [cubic, (c) => { c.claim.modelSha256 = '0'.repeat(64); }],
  'total-not-v-pow-k': [cubic, (c) => { c.claim.total = '100'; }],
  'wrong-k': [cubic, (c) => { c.claim.k = 4; c.claim.total = '625'; }],
  'forward-reference': [cubic, (c) => { const s = c.evidence.steps; [s[0], s[1]] = [s[1], s[0]]; }],
  'missing-reference': [cubic, (c) => { c.evidence.steps[3].expP = 'expQ'; }],
  'wrong-kind-reference': [cubic, (c) => { c.evidence.steps[3].expE = 'scale'; }],
  'wrong-source-table': [cubic, (c) => { c.evidence.steps[3].expE = 'expP'; }],
  'duplicate-step-id': [cubic, (c) => { c.evidence.steps[2].id = 'expE'; }],
  'no-count-step': [cubic, (c) => { c.evidence.steps.pop(); }],
  'count-step-not-last': [cubic, (c) => { c.evidence.steps.push(c.evidence.steps[1]); c.evidence.steps[4] = { ...c.evidence.steps[4], id: 'expE2' }; }],
  'strategy-mismatch': [cubic, (c) => { c.claim.strategy = 'brute-force'; }],
};
for (const [name, [base, f]] of Object.entries(fail)) write('fail', `checker-${name}.json`, variant(base, f));

const valid = text(cubic);
const malformed: Record<string, string> = {
  'not-json': 'mechcert/1 certificate\n',
  'truncated': valid.slice(0, valid.length >> 1),
  'json-number-for-rational': variant(cubic, (c) => { c.evidence.steps[0].lo = 0.17; }),
  'exponent-in-rational': variant(cubic, (c) => { c.evidence.steps[0].lo = '1.7e-1'; }),
  'unknown-field': variant(cubic, (c) => { c.comment = 'trust me'; }),
  'format-v2': variant(cubic, (c) => { c.format = 'mechcert/2'; }),
  'missing-claim': variant(cubic, (c) => { delete (c as Record<string, unknown>).claim; }),
  'uppercase-sha': variant(cubic, (c) => { c.claim.modelSha256 = String(c.claim.modelSha256).toUpperCase(); }),
  'unknown-step-kind': variant(cubic, (c) => { c.evidence.steps[0].kind = 'softmax'; }),
  'too-deep': `${'['.repeat(64)}${']'.repeat(64)}\n`,
  'empty-steps': variant(cubic, (c) => { c.evidence.steps = []; }),
};
for (const [name, data] of Object.entries(malformed)) write('malformed', `checker-${name}.json`, data);
