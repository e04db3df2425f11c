/**
 * The browser page's checker, run in a Web Worker: the page posts the two files, this checks them with the same code
 * as `mechcert-check` (checker/check.ts on one thread, platform-browser.ts for SHA-256 and gunzip) and posts back
 * the verdict, formatted by checker/verdict.ts exactly as the command line prints it. checker/web/build.mjs bundles
 * this file and its imports into the page.
 */
import { checkCertificate } from '../check.js';
import { MAX_CERTIFICATE_FILE_BYTES, MAX_MODEL_BYTES } from '../limits.js';
import { exitCode, formatVerdict, printable, printedReason } from '../verdict.js';

/** A file as the page posts it (a File or Blob: structured-cloneable, read here, off the page's thread). */
interface InputFile {
  name: string;
  size: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface CheckRequest {
  certificate: InputFile;
  model: InputFile;
  /** The command line's --max-work, when given. */
  workLimit?: number;
}

export type WorkerMessage =
  | { type: 'progress'; done: number; total: number }
  /** What the command line would print on stderr with exit 2: a file over its limit or unreadable. */
  | { type: 'input-error'; text: string }
  | { type: 'verdict'; status: string; exitCode: number; text: string; step: string | null; rule: string | null; reason: string | null };

interface WorkerScope {
  onmessage: ((ev: { data: CheckRequest }) => void) | null;
  postMessage(message: WorkerMessage): void;
}

const scope = globalThis as unknown as WorkerScope;

/** The file's bytes, within the command line's limit for it (the CLI's message, with the file name for the path). */
async function readInput(file: InputFile, limit: number, what: string): Promise<Uint8Array> {
  if (file.size > limit) throw new Error(`${what} ${JSON.stringify(file.name)} is ${file.size} bytes, over the limit of ${limit}`);
  try {
    return new Uint8Array(await file.arrayBuffer());
  } catch (e) {
    throw new Error(`cannot read ${what} ${JSON.stringify(file.name)}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function check(req: CheckRequest): Promise<WorkerMessage> {
  let cert: Uint8Array;
  let model: Uint8Array;
  try {
    cert = await readInput(req.certificate, MAX_CERTIFICATE_FILE_BYTES, 'certificate');
    model = await readInput(req.model, MAX_MODEL_BYTES, 'model');
  } catch (e) {
    return { type: 'input-error', text: `mechcert-check: ${printable((e as Error).message)}` };
  }
  // Progress messages at most every 50 ms, and always the last one.
  let last = 0;
  const progress = (done: number, total: number) => {
    const now = Date.now();
    if (done < total && now - last < 50) return;
    last = now;
    scope.postMessage({ type: 'progress', done, total });
  };
  const v = await checkCertificate(cert, model, { threads: 1, progress, ...(req.workLimit === undefined ? {} : { workLimit: req.workLimit }) });
  const error = v.verified ? null : v.error;
  return {
    type: 'verdict', status: v.status, exitCode: exitCode(v.status), text: formatVerdict(v),
    step: error ? printable(error.step ?? '(none)') : null, rule: error ? printable(error.rule) : null, reason: error ? printedReason(error.message) : null,
  };
}

scope.onmessage = (ev) => {
  check(ev.data).then(
    (m) => scope.postMessage(m),
    (e: unknown) => scope.postMessage({ type: 'input-error', text: `mechcert-check: internal error: ${printable(e instanceof Error ? e.message : String(e))}` }),
  );
};
