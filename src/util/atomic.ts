import { lstatSync, mkdirSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** An output path that cannot be written (a directory, a device, a FIFO, an unwritable folder): one line, exit 2. */
export class OutputPathError extends Error {
  override name = 'OutputPathError';
}

const kind = (st: Stats) => (st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() ? 'a character device'
  : st.isBlockDevice() ? 'a block device' : st.isSocket() ? 'a socket' : 'not a regular file');

/** Refuses, before any long work, an output path that writeFileAtomic would refuse (its folder is made then). */
export function checkOutputPath(path: string): void {
  let dir = dirname(writablePath(path));
  for (;;) {
    let st: Stats | undefined;
    try {
      st = statSync(dir);
    } catch {
      // missing: made by writeFileAtomic; look at its parent
    }
    if (st && !st.isDirectory()) throw new OutputPathError(`cannot write into ${JSON.stringify(dir)}: it is not a directory`);
    if (st || dirname(dir) === dir) return;
    dir = dirname(dir);
  }
}

/**
 * The path to write for `path`: itself when it does not exist or is a regular file; a symbolic link's final target
 * when that is a regular file (the link stays). Anything else is refused: the rename below would replace it, and a
 * device such as /dev/null replaced by a file is damage outside the user's output.
 */
function writablePath(path: string): string {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch {
    return path; // nothing there yet
  }
  if (st.isSymbolicLink()) return writablePath(realpathSync(path));
  if (!st.isFile()) throw new OutputPathError(`cannot write ${JSON.stringify(path)}: it is ${kind(st)}, not a regular file`);
  return path;
}

/**
 * Creates folder `dir` and its missing parents, one level at a time. (Node's mkdirSync with `recursive` never returns
 * for a path under /proc, where mkdir keeps answering ENOENT.)
 */
function ensureDir(dir: string): void {
  try {
    if (statSync(dir).isDirectory()) return;
  } catch {
    const parent = dirname(dir);
    if (parent !== dir) ensureDir(parent);
    try {
      mkdirSync(dir);
      return;
    } catch (e) {
      // Another thread or process made it in the meantime: fine if it is a folder (checked below).
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  if (statSync(dir).isDirectory()) return;
  throw new OutputPathError(`cannot write into ${JSON.stringify(dir)}: it is not a directory`);
}

/** Writes a file under a temporary name in the same folder, then renames it: an interrupted run never leaves a half-written output. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const target = writablePath(path);
  const dir = dirname(target);
  const tmp = join(dir, `.${basename(target)}.${process.pid}.tmp`);
  try {
    ensureDir(dir);
    writeFileSync(tmp, data);
    renameSync(tmp, target);
  } catch (e) {
    if (e instanceof OutputPathError) throw e;
    try { unlinkSync(tmp); } catch { /* already gone */ }
    const code = (e as NodeJS.ErrnoException).code;
    throw code ? new OutputPathError(`cannot write ${JSON.stringify(path)}: ${code} (${(e as Error).message.replace(/^[A-Z]+: /, '')})`) : e;
  }
}
