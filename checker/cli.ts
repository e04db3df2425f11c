/**
 * mechcert-check <cert.json[.gz]> --model <model.safetensors> [--json] [--threads N]
 *
 * Exit codes: 0 verified, 1 rejected, 2 usage or I/O error. Never prints a stack trace.
 */
import { checkCertificate } from './check.js';
import { formatVerdict, formatVerdictJson } from './verdict.js';
import { InputFileError, readBounded } from './read.js';
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
    if (!(e instanceof UsageError || e instanceof InputFileError)) throw e;
    process.stderr.write(`mechcert-check: ${e.message}\n${argv.length ? '' : `${USAGE}\n`}`);
    return 2;
  }
  const verdict = await checkCertificate(cert, model, { threads: args.threads });
  process.stdout.write(`${args.json ? formatVerdictJson(verdict) : formatVerdict(verdict)}\n`);
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
