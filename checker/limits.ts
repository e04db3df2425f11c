/**
 * Every resource limit of the checker. Exceeding any of them stops the check (never a silent truncation), so the
 * checker's time and memory are bounded by these numbers and the size of its inputs.
 */

/** Largest certificate file read (raw, or gzip-compressed). */
export const MAX_CERTIFICATE_FILE_BYTES = 64 * 1024 * 1024;
/** Largest certificate JSON text, after gunzip. */
export const MAX_CERTIFICATE_JSON_BYTES = 256 * 1024 * 1024;
/** Deepest nesting of JSON arrays and objects (a valid certificate needs 6). */
export const MAX_JSON_DEPTH = 16;
/**
 * Most array elements plus object members in the certificate JSON (counted before JSON.parse, so that the parsed
 * tree stays within a few hundred MiB). A V = 1024 certificate needs about 2^23.
 */
export const MAX_JSON_VALUES = 2 ** 24;
/** Largest model file read. */
export const MAX_MODEL_BYTES = 256 * 1024 * 1024;
/** Largest safetensors JSON header (its nesting is checked against MAX_JSON_DEPTH before it is parsed). */
export const MAX_MODEL_HEADER_BYTES = 1024 * 1024;

/** Model shape limits: vocabulary (≥ 2), context length K (≥ 2), residual width, head width. */
export const MAX_VOCAB = 1024;
export const MAX_K = 64;
export const MAX_D_MODEL = 1024;
export const MAX_D_HEAD = 1024;

/** Most evidence steps in one certificate. */
export const MAX_STEPS = 1024;
/**
 * Most characters in one rational, mantissa, count or bitmask string (the schema's `maxLength`): a bitmask over
 * V = MAX_VOCAB tokens needs MAX_VOCAB / 4 hex digits, and V^K at the shape limits has 193 decimal digits.
 */
export const MAX_NUMBER_CHARS = 256;
/** Most fraction bits of an exp table, an exp grid or a subcubic count's witnesses (`fracBits`). */
export const MAX_FRAC_BITS = 256;
/** An exp grid's points z = (base + i)/2^stepBits: at most MAX_GRID_STEP_BITS, and |z| ≤ 2^MAX_GRID_Z_BITS (4096). */
export const MAX_GRID_STEP_BITS = 16;
export const MAX_GRID_Z_BITS = 12;
/** Most columns of a subcubic count's low-rank peel (SPEC §4.6): its work estimate assumes this rank. */
export const MAX_PEEL_RANK = 4;
/** Most sequences a brute-force count enumerates (V^K); 2^31 is 2 × the V=64, K=5 case. */
export const MAX_BRUTE_FORCE_SEQUENCES = 2 ** 31;
/**
 * How much cheaper a brute-force count's float64 operation (a compare-add, ~4 ns on a 2-core machine) is than the
 * exact operations MAX_WORK was calibrated on: its float path counts against the work limit at 1/this of its
 * estimate (its reported operation count is not reduced). V = 64, K = 5 estimates ~42·2^32 float operations (it
 * counts 4.5e10) and runs in about 22 s on one thread of a 2-core machine, 13 s on two.
 */
export const FLOAT_OPS_PER_WORK = 64;
/**
 * Most exact operations (as the checker counts them) that one step may be expected to need, estimated from shapes
 * and counts before the work starts (checker/work.ts); beyond it the check stops, not decided (exit 3). `--max-work`
 * raises it. Calibration: the committed V = 64, K = 4 certificates' steps need at most 2^24 by these estimates (and
 * the brute-force count does about 2^30 operations), so 2^32 leaves a factor 4 to 256; forming EQKE for
 * V = d_model = d_head = 1024 (about 1.5·2^32) is refused. An operation takes ~4 ns (brute-force compare-adds) to
 * ~0.5 µs (300-bit exp steps) on a 2-core machine, so a step at the limit runs for about 20 s to a few minutes.
 */
export const MAX_WORK = 2 ** 32;
/** Most worker threads for brute-force counting. */
export const MAX_THREADS = 64;

/** Largest ulp bound a float32 claim may give for exp, division or sqrt (SPEC §1.1): far beyond any real runtime. */
export const MAX_ULPS = 2 ** 20;
