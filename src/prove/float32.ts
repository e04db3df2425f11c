/**
 * Claims about the deployed float32 computation (SPEC §1.1). A float32 claim counts only sequences whose exact logit
 * gaps beat the rounding margin ε, which the checker derives from the weights; the prover asks the checker's package
 * for the same ε (src never re-implements a rule) and each strategy aims its claim below −ε instead of below 0.
 */
import { float32MarginOf, type Float32Semantics } from 'mechcert-checker/float32';
import { serializeModel, type Model } from '../model/model.js';
import { FORMAT_PREFIX, FORMAT_SEMANTICS, type Certificate } from './certificate.js';

/**
 * Default ulp bounds: exp within 2 ulp (CUDA's expf, glibc's expf and V8's Math.exp are within 1–2), division within
 * 1 ulp (IEEE division is 0.5; 1 covers a reciprocal followed by a product), sqrt within 0.5 ulp (IEEE sqrt, and
 * Python's math.sqrt rounded to float32 once, as TransformerLens's scale is).
 */
export const DEFAULT_FLOAT32: Float32Semantics = { kind: 'float32', expUlps: '2', divUlps: '1', sqrtUlps: '0.5' };

/** What a strategy needs to aim a float32 claim: ε as a float64 upper bound, and an exact upper bound n/2^fracBits. */
export interface Float32Target {
  semantics: Float32Semantics;
  margin: number;
  exact: { n: bigint; fracBits: number };
}

/** The margin of `model` under `semantics`. */
export function float32Target(model: Model, semantics: Float32Semantics = DEFAULT_FLOAT32): Float32Target {
  const exact = float32MarginOf(serializeModel(model), semantics);
  // The checker rounds ε up to a grid of 2^−64 or finer (brute force); the prover's copies are rounded up further, so
  // that it never counts a sequence the checker does not: exactly, to the grid of 2^−62 plus one step; as a double,
  // one part in 2^50 and 2^−60 more.
  const margin = (Number(exact.n) / 2 ** exact.fracBits) * (1 + 2 ** -50) + 2 ** -60;
  const step = exact.fracBits - 62;
  return { semantics, margin, exact: { n: ((exact.n + (1n << BigInt(step)) - 1n) >> BigInt(step)) + 1n, fracBits: 62 } };
}

/** The certificate with its claim about the float32 computation (format 1.1, or 1.2 where its steps need that). */
export function withSemantics(cert: Certificate, semantics: Float32Semantics): Certificate {
  return { ...cert, format: cert.format === FORMAT_PREFIX ? FORMAT_PREFIX : FORMAT_SEMANTICS, claim: { ...cert.claim, semantics } };
}
