/**
 * `mechcert check <cert> --model <model> [--json] [--threads N]`: the checker (checker/check.ts) behind the prover's
 * CLI, with the same verdict, output and exit codes as the standalone `mechcert-check`: 0 verified, 1 rejected,
 * 2 usage or I/O error.
 */
import type { Command } from 'commander';
import { checkCertificate } from '../../../checker/check.js';
import { formatVerdict, formatVerdictJson } from '../../../checker/verdict.js';
import { InputFileError, readBounded } from '../../../checker/read.js';
import { MAX_CERTIFICATE_FILE_BYTES, MAX_MODEL_BYTES, MAX_THREADS } from '../../../checker/limits.js';
import { UsageError } from '../errors.js';

/** The checker's bounded read, with its I/O errors reported as this CLI's usage errors (one line, exit 2). */
function readInput(path: string, limit: number, what: string): Uint8Array {
  try {
    return readBounded(path, limit, what);
  } catch (e) {
    if (e instanceof InputFileError) throw new UsageError(e.message);
    throw e;
  }
}

export function register(program: Command): void {
  program
    .command('check')
    .description('Re-verify a certificate against a model with the exact checker (exit 0 verified, 1 rejected, 2 usage or I/O error).')
    .argument('<certificate>', 'certificate (.json or .json.gz)')
    .option('--model <file>', 'the model file the certificate is about (.safetensors)')
    .option('--json', 'print one JSON object')
    .option('--threads <n>', 'worker threads for brute-force counting', '1')
    .action(async (certPath: string, opts: { model?: string; json?: boolean; threads: string }) => {
      if (opts.model === undefined || opts.model === '') throw new UsageError('--model <model.safetensors> is required');
      if (!/^[1-9][0-9]*$/.test(opts.threads) || Number(opts.threads) > MAX_THREADS) {
        throw new UsageError(`--threads must be an integer from 1 to ${MAX_THREADS} (got ${JSON.stringify(opts.threads)})`);
      }
      const cert = readInput(certPath, MAX_CERTIFICATE_FILE_BYTES, 'certificate');
      const model = readInput(opts.model, MAX_MODEL_BYTES, 'model');
      const verdict = await checkCertificate(cert, model, { threads: Number(opts.threads) });
      process.stdout.write(`${opts.json ? formatVerdictJson(verdict) : formatVerdict(verdict)}\n`);
      process.exitCode = verdict.verified ? 0 : 1;
    });
}
