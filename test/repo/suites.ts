/**
 * The two test suites. `npm test` runs every test file (vitest.config.ts); `npm run test:quick` runs QUICK_TESTS
 * (vitest.quick.config.ts) with the property loops shortened by QUICK_RUNS. Every test file is listed either in
 * QUICK_TESTS or in FULL_ONLY with the reason it is left out of the quick loop; test/repo/suites.test.ts keeps the two
 * lists complete and disjoint, so a new test file must be placed in one of them.
 */

/** Unit tests, the checker's rules, the fixture corpora, and one short run of each property. */
export const QUICK_TESTS: readonly string[] = [
  'test/checker/arith/exact.test.ts',
  'test/checker/arith/exp.test.ts',
  'test/checker/biases.test.ts',
  'test/checker/check.test.ts',
  'test/checker/fixtures.test.ts',
  'test/checker/fuzz.test.ts',
  'test/checker/hostile-corpus.test.ts',
  'test/checker/imports.test.ts',
  'test/checker/model.test.ts',
  'test/checker/rules/brute-force-count.test.ts',
  'test/checker/rules/cubic-count.test.ts',
  'test/checker/rules/exp-table.test.ts',
  'test/checker/rules/inv-sqrt-scale.test.ts',
  'test/checker/rules/prefix-count.test.ts',
  'test/checker/rules/subcubic.test.ts',
  'test/eval/exhaustive.test.ts',
  'test/eval/sampled.test.ts',
  'test/eval/stratified.test.ts',
  'test/float32/emulate.test.ts',
  'test/float32/margin.test.ts',
  'test/install-scripts.test.ts',
  'test/model/forward.test.ts',
  'test/model/model.test.ts',
  'test/prove/biases.test.ts',
  'test/prove/brute-force.test.ts',
  'test/prove/certificate.test.ts',
  'test/prove/cubic-joint.test.ts',
  'test/prove/exp-table.test.ts',
  'test/prove/fixtures.test.ts',
  'test/prove/mutations.test.ts',
  'test/prove/prefix.test.ts',
  'test/prove/properties.test.ts',
  'test/prove/scale.test.ts',
  'test/prove/subcubic-reference.test.ts',
  'test/prove/subcubic.test.ts',
  'test/repo/doc-citations.test.ts',
  'test/repo/suites.test.ts',
  'test/report/metrics.test.ts',
  'test/report/not-run.test.ts',
  'test/report/plots.test.ts',
  'test/report/terminal.test.ts',
  'test/train/forward-backward.test.ts',
  'test/train/rng.test.ts',
  'test/train/train.test.ts',
];

/** Test files only `npm test` runs, and why: each is slow, needs a GPU, a browser or Redis, or runs a built CLI. */
export const FULL_ONLY: Readonly<Record<string, string>> = {
  'test/certificates.test.ts': 'checks the nine committed V = 64 certificates; brute force enumerates 16.7 M sequences each',
  'test/checker/cli.test.ts': 'the built checker CLI, one process per check (check.test.ts covers verdicts in process)',
  'test/checker/float32-cli.test.ts': 'the built prover and checker CLIs, one process per proof and check (float32 soundness runs in process in test/float32)',
  'test/checker/hostile.test.ts': 'hostile inputs through the CLI: million-deep nesting, numbers of millions of digits',
  'test/checker/mutate.test.ts': 'a batch of the mutation harness (hundreds of mutants, each checked)',
  'test/checker/parallel.test.ts': 'checks committed V = 64 certificates on several threads',
  'test/checker/standalone.test.ts': 'packs and installs the checker package with npm',
  'test/checker/web.test.ts': 'builds the browser page and drives it in headless Chromium',
  'test/checker/work-limits.test.ts': 'a 25 MB model and committed certificates through the CLI',
  'test/backend/cli.test.ts': 'exhaustive evaluation of a V = 64 model through the CLI, per backend',
  'test/backend/conformance.test.ts': 'every kernel on every backend present, WebGPU included',
  'test/cli/check-args.test.ts': 'runs mechcert check and mechcert-check through the built CLIs, one process per argument list',
  'test/cli/hostile-input.test.ts': 'eval, prove, report and main on special files and hostile names through the built CLI',
  'test/cli/interrupt.test.ts': 'interrupts train, prove and sweep through the built CLI',
  'test/cli/progress.test.ts': 'runs prove through the built CLI on a V = 64 model',
  'test/prove/brute-force-cli.test.ts': 'proves and checks brute force through the built CLIs',
  'test/prove/prefix-cli.test.ts': 'proves and checks mechcert/prefix-output through the built CLIs',
  'test/cli/main-report.test.ts': 'runs main and report through the built CLI (proofs, checks, plots)',
  'test/eval/cli.test.ts': 'exhaustive evaluation of V = 64 models through the built CLI',
  'test/model/hostile-models.test.ts': 'eval, prove and check of hostile models through the built CLIs',
  'test/model/malformed.test.ts': 'a dozen CLI processes on malformed model files',
  'test/prove/brute-force-backend.test.ts': 'opens WebGPU; property loops over simulated backend scans',
  'test/prove/cli.test.ts': 'proves and checks V = 64 models through the built CLIs, brute force included',
  'test/prove/cubic-backend.test.ts': 'opens WebGPU; proves the shipped V = 64 model',
  'test/report/report.test.ts': 'trains models and renders a whole report (Vega, PNG)',
  'test/sweep/cli.test.ts': 'sweeps through the built CLI, WebGPU included',
  'test/sweep/sweep.test.ts': 'sweeps end to end on worker threads and through BullMQ on redis-server',
  'test/train/backend.test.ts': 'trains on WebGPU',
  'test/train/cli.test.ts': 'trains through the built CLI',
  'test/util/atomic.test.ts': 'proves through the built CLI',
};

/**
 * Shorter property loops for the quick suite: the environment variables the tests read for their run counts, with
 * the quick values (a variable already set in the environment wins).
 */
export const QUICK_RUNS: Readonly<Record<string, string>> = {
  MECHCERT_PROPERTY_RUNS: '5',
  MECHCERT_SUBCUBIC_RUNS: '1',
  MECHCERT_MUTATION_MODELS: '5',
  MECHCERT_FUZZ_RUNS: '30',
};
