/**
 * The checker's command line, `mechcert-check`, also run as the prover's `mechcert check`:
 *
 *   mechcert-check <cert.json[.gz]> --model <model.safetensors> [--json] [--threads N] [--max-work OPS]
 *
 * Exit codes: 0 verified, 1 rejected, 2 usage or I/O error, 3 not decided here. Never prints a stack trace.
 */
import { CHECKER_VERSION, checkCertificate } from './check.js';
import { MAX_CERTIFICATE_FILE_BYTES, MAX_MODEL_BYTES, MAX_THREADS, MAX_WORK } from './limits.js';
import { InputFileError, readBounded } from './read.js';
import { exitCode, formatVerdict, formatVerdictJson, printable, printedReason } from './verdict.js';

const usage = (prog: string) => `usage: ${prog} <certificate.json|certificate.json.gz> --model <model.safetensors> [--json] [--threads N] [--max-work OPS]

Re-verifies a mechcert certificate against a model file with exact arithmetic.

  --model FILE     the model the certificate is about (safetensors)
  --json           print the verdict as one JSON object
  --threads N      count brute-force and cubic certificates on N threads (1..${MAX_THREADS}, default 1)
  --max-work OPS   most operations all steps together may need before the check stops undecided (default 2^${Math.log2(MAX_WORK)})
  --version        print the checker's version

Exit status: 0 verified, 1 rejected, 2 usage or I/O error, 3 not decided here (a limit reached, an unsupported size,
an internal error).`;

class UsageError extends Error {}

interface Args {
  cert: string;
  model: string;
  json: boolean;
  threads: number;
  workLimit: number;
}

/** A positive integer flag value from 1 to `max`. */
function positive(flag: string, v: string, max: number): number {
  const n = /^[1-9][0-9]{0,15}$/.test(v) ? Number(v) : NaN;
  if (!(n <= max)) throw new UsageError(`${flag} must be an integer from 1 to ${max}, got ${JSON.stringify(v)}`);
  return n;
}

/** The value of a flag given once: a second --model, --threads or --max-work is a usage error, not silently the last. */
function once<T>(flag: string, previous: T | undefined, value: T): T {
  if (previous !== undefined) throw new UsageError(`${flag} is given twice`);
  return value;
}

function parseArgs(argv: string[]): Args | 'help' | 'version' {
  let cert: string | undefined;
  let model: string | undefined;
  let json: boolean | undefined;
  let threads: number | undefined;
  let workLimit: number | undefined;
  let operands = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const value = () => {
      if (eq > 0) return a.slice(eq + 1);
      if (i + 1 >= argv.length) throw new UsageError(`${flag} needs a value`);
      return argv[++i];
    };
    const noValue = () => {
      if (eq > 0) throw new UsageError(`${flag} takes no value, got ${JSON.stringify(a)}`);
    };
    if (operands || a === '-' || !a.startsWith('-')) {
      if (cert !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(a)}`);
      cert = a;
    } else if (a === '--') operands = true;
    else if (flag === '--help' || flag === '-h' || flag === '--version' || flag === '-V') {
      noValue();
      return flag === '--help' || flag === '-h' ? 'help' : 'version';
    } else if (flag === '--json') {
      noValue();
      json = once(flag, json, true);
    }
    else if (flag === '--model') model = once(flag, model, value());
    else if (flag === '--threads') threads = once(flag, threads, positive(flag, value(), MAX_THREADS));
    else if (flag === '--max-work') workLimit = once(flag, workLimit, positive(flag, value(), Number.MAX_SAFE_INTEGER));
    else throw new UsageError(`unknown option ${JSON.stringify(a)}`);
  }
  if (cert === undefined) throw new UsageError('missing the certificate path');
  if (model === undefined || model === '') throw new UsageError('missing --model <model.safetensors>');
  return { cert, model, json: json ?? false, threads: threads ?? 1, workLimit: workLimit ?? MAX_WORK };
}

/** Whether --json is among the options (not an operand after `--`, not the value of a flag): for a usage error's output. */
function asksForJson(argv: string[]): boolean {
  for (let i = 0; i < argv.length && argv[i] !== '--'; i++) {
    if (argv[i] === '--json') return true;
    if (['--model', '--threads', '--max-work'].includes(argv[i])) i++;
  }
  return false;
}

/**
 * Writes `text` to standard output; returns 0, or 2 when the write fails (a full disk, a closed pipe: an I/O error,
 * one line on standard error). The stream's 'error' event is handled here too: unhandled, Node prints a stack trace.
 */
async function writeOut(text: string, prog: string): Promise<number> {
  process.stdout.on('error', () => undefined);
  try {
    await new Promise<void>((resolve, reject) => process.stdout.write(text, (e) => (e ? reject(e) : resolve())));
    return 0;
  } catch (e) {
    process.stderr.write(`${prog}: cannot write the output: ${(e as NodeJS.ErrnoException).code ?? String(e)}\n`, () => undefined);
    return 2;
  }
}

/** A usage or I/O error (exit 2): one line on standard error and, under --json, one JSON object on standard output. */
async function inputError(e: UsageError | InputFileError, argv: string[], prog: string): Promise<number> {
  process.stderr.write(`${prog}: ${printable(e.message)}\n${argv.length ? '' : `${usage(prog)}\n`}`);
  if (!asksForJson(argv)) return 2;
  const rule = e instanceof UsageError ? 'usage' : 'input';
  const out = { status: 'error', verified: false, error: { step: null, rule, message: printedReason(e.message) }, checkerVersion: CHECKER_VERSION };
  await writeOut(`${JSON.stringify(out)}\n`, prog);
  return 2;
}

/** Runs the command with arguments `argv` (without the program name); returns the exit code. */
export async function runCheckCommand(argv: string[], prog = 'mechcert-check'): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  let cert: Uint8Array;
  let model: Uint8Array;
  try {
    args = parseArgs(argv);
    if (args === 'help' || args === 'version') return await writeOut(`${args === 'help' ? usage(prog) : `mechcert-checker ${CHECKER_VERSION}`}\n`, prog);
    cert = readBounded(args.cert, MAX_CERTIFICATE_FILE_BYTES, 'certificate');
    model = readBounded(args.model, MAX_MODEL_BYTES, 'model');
  } catch (e) {
    if (!(e instanceof UsageError || e instanceof InputFileError)) throw e;
    return inputError(e, argv, prog);
  }
  const verdict = await checkCertificate(cert, model, { threads: args.threads, workLimit: args.workLimit });
  const written = await writeOut(`${args.json ? formatVerdictJson(verdict) : formatVerdict(verdict)}\n`, prog);
  return written || exitCode(verdict.status);
}
