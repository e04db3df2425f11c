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
/**
 * Most members of one JSON object (a certificate's objects hold at most a dozen; a safetensors header about twenty
 * tensors and its metadata): the pre-scan keeps the keys of each open object to find repeats, and JSON.parse builds
 * a dictionary, so millions of keys in one object would cost gigabytes and minutes before any check.
 */
export const MAX_JSON_OBJECT_MEMBERS = 4096;
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
 * The weight of a brute-force count's float64 operations (compare-adds, ~4 ns each on a 2-core machine) against the
 * work limit: its float path counts at 1/this of its estimate (its reported operation count is not reduced). Chosen
 * so that the paper's V = 64, K = 5 setting is checked by default: it estimates ~42·2^32 float operations (it counts
 * 4.5e10), 0.66·2^30 at this weight, and runs in about 22 s on one thread of a 2-core machine, 13 s on two. Its time
 * is bounded apart by MAX_BRUTE_FORCE_SEQUENCES.
 */
export const FLOAT_OPS_PER_WORK = 256;
/**
 * Most operations (work.ts: BigInt multiply-adds of up to 256 bits, larger ones weighed by their size) that all the
 * steps of one check may be expected to need together, estimated from shapes, counts and number sizes before each
 * step's work starts; beyond it the check stops, not decided (exit 3). `--max-work` sets another limit. Calibration:
 * the committed V = 64, K = 4 certificates need at most 2^26 by these estimates (all steps together), so 2^30 leaves
 * a factor 16, and V = 64, K = 5 brute force about 0.7·2^30; forming EQKE for V = d_model = d_head = 1024 (about
 * 6·2^30) is refused. An operation takes at most about 60 ns on a 2-core machine (300-bit exp steps; most take less),
 * so a check at the limit runs for at most about a minute.
 */
export const MAX_WORK = 2 ** 30;
/** Most worker threads for brute-force counting. */
export const MAX_THREADS = 64;

/** Largest ulp bound a float32 claim may give for exp, division or sqrt (SPEC §1.1): far beyond any real runtime. */
export const MAX_ULPS = 2 ** 20;
