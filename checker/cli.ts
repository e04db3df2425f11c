/**
 * mechcert-check <cert.json[.gz]> --model <model.safetensors> [--json] [--threads N]
 *
 * Exit codes: 0 verified, 1 rejected, 2 usage or I/O error. Never prints a stack trace.
 */
import { readFileSync, statSync } from 'node:fs';
import { checkCertificate, type Verdict } from './check.js';
import { MAX_CERTIFICATE_FILE_BYTES, MAX_MODEL_BYTES } from './limits.js';

const USAGE = `usage: mechcert-check <certificate.json|certificate.json.gz> --model <model.safetensors> [--json] [--threads N]

Re-verifies a mechcert certificate against a model file with exact arithmetic.
Exit status: 0 verified, 1 rejected, 2 usage or I/O error.`;

class UsageError extends Error {}

interface Args {
  cert: string;
  model: string;
  json: boolean;
  threads: number;
}

function parseArgs(argv: string[]): Args | 'help' {
  let cert: string | undefined;
  let model: string | undefined;
  let json = false;
  let threads = 1;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new UsageError(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--help' || a === '-h') return 'help';
    else if (a === '--json') json = true;
    else if (a === '--model') model = value();
    else if (a.startsWith('--model=')) model = a.slice('--model='.length);
    else if (a === '--threads' || a.startsWith('--threads=')) {
      const v = a === '--threads' ? value() : a.slice('--threads='.length);
      if (!/^[1-9][0-9]{0,2}$/.test(v)) throw new UsageError(`--threads must be a positive integer, got ${JSON.stringify(v)}`);
      threads = Number.parseInt(v, 10);
    } else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else if (cert === undefined) cert = a;
    else throw new UsageError(`unexpected argument ${JSON.stringify(a)}`);
  }
  if (cert === undefined) throw new UsageError('missing the certificate path');
  if (model === undefined) throw new UsageError('missing --model <model.safetensors>');
  return { cert, model, json, threads };
}

function readBounded(path: string, limit: number, what: string): Uint8Array {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  if (size > limit) throw new UsageError(`${what} ${path} is ${size} bytes, over the limit of ${limit}`);
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

function report(v: Verdict): string {
  if (v.verified) {
    const c = v.claim;
    return [
      'VERIFIED',
      `claim:       correct ≥ ${c.correct} of ${c.total} sequences (task ${c.task}, K=${c.k}, V=${c.vocab}, strategy ${c.strategy})`,
      `bound:       ${v.bound.numerator}/${v.bound.denominator} ≈ ${v.bound.decimal}`,
      `proved:      ${v.counted} sequences`,
      `model:       sha256 ${v.modelSha256}`,
      `certificate: sha256 ${v.certificateSha256} (${v.certificateBytes} bytes)`,
      `checker:     mechcert-checker ${v.checkerVersion}, ${v.checkerOps} exact operations`,
      ...(v.certificateFileSha256 !== v.certificateSha256 ? [`file:        sha256 ${v.certificateFileSha256} (as given, before gunzip)`] : []),
      `cite:        mechcert-checker ${v.checkerVersion} verified accuracy ≥ ${v.bound.numerator}/${v.bound.denominator} (${c.correct} of ${c.total}, strategy ${c.strategy}) `
        + `for model sha256:${v.modelSha256}, certificate sha256:${v.certificateSha256}`,
    ].join('\n');
  }
  const e = v.error;
  return [
    'NOT VERIFIED',
    `step:        ${e.step ?? '(none)'}`,
    `rule:        ${e.rule}`,
    `reason:      ${e.message}`,
    `model:       sha256 ${v.modelSha256}`,
    `certificate: sha256 ${v.certificateSha256 ?? '(unreadable)'} (${v.certificateBytes} bytes)`,
    `checker:     mechcert-checker ${v.checkerVersion}`,
  ].join('\n');
}

function jsonReport(v: Verdict): string {
  const claim = v.claim;
  return JSON.stringify({
    verified: v.verified,
    correct: claim?.correct ?? null,
    total: claim?.total ?? null,
    bound: v.verified ? v.bound : null,
    counted: v.verified ? v.counted : null,
    strategy: claim?.strategy ?? null,
    claim,
    modelSha256: v.modelSha256,
    certificateSha256: v.certificateSha256,
    certificateBytes: v.certificateBytes,
    certificateFileSha256: v.certificateFileSha256,
    checkerVersion: v.checkerVersion,
    checkerOps: v.checkerOps,
    ...(v.verified ? {} : { error: v.error }),
  });
}

async function main(argv: string[]): Promise<number> {
  let args: Args | 'help';
  let cert: Uint8Array;
  let model: Uint8Array;
  try {
    args = parseArgs(argv);
    if (args === 'help') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    cert = readBounded(args.cert, MAX_CERTIFICATE_FILE_BYTES, 'certificate');
    model = readBounded(args.model, MAX_MODEL_BYTES, 'model');
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`mechcert-check: ${e.message}\n${argv.length ? '' : `${USAGE}\n`}`);
    return 2;
  }
  const verdict = await checkCertificate(cert, model, { threads: args.threads });
  process.stdout.write(`${args.json ? jsonReport(verdict) : report(verdict)}\n`);
  return verdict.verified ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`mechcert-check: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  },
);
