/**
 * Finds citations of documents that the repository does not hold. Three forms are read in every text file:
 *
 * - Markdown links `[text](target)` (in `.md` files; elsewhere a link target is a report's own file, such as a plot
 *   beside report.md, and only `.md` targets are read, as bare names): the target must be a file or folder of the
 *   repository, and a `#anchor` into a `.md` file must be one of its headings;
 * - bare names of Markdown documents (`schemas/SPEC.md`, `docs/glossary.md#measures`, `README.md`) in comments, strings
 *   and prose, optionally followed by section numbers (`docs/paper.md §5.2, §8`): the document must exist, and each
 *   section number must head a section of it;
 * - short names before a section sign (`SPEC §4.3`): the name must be one of SHORT_NAMES, and the section must exist.
 *
 * A path resolves relative to the citing file's folder, then to the repository root. The repository is what git lists
 * (tracked files and untracked ones it does not ignore), so a build output or a file outside the tree never counts.
 * Names that programs write rather than documents to read are in OUTPUTS, each with the file that writes it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

export interface Repo {
  /** Repository-relative paths with `/` separators. */
  files: ReadonlySet<string>;
  read(path: string): string;
}

export interface Finding {
  file: string;
  line: number;
  cited: string;
  problem: string;
}

/** Short document names cited as `NAME §n`, and the file each stands for. */
export const SHORT_NAMES: Readonly<Record<string, string>> = { SPEC: 'schemas/SPEC.md' };

/**
 * Markdown files that programs write (outputs, not documents of the repository). `writer` must contain `name`; `citedIn`,
 * when present, limits the entry to those citing files.
 */
export const OUTPUTS: ReadonlyArray<{ name: string; writer: string; citedIn?: readonly string[] }> = [
  { name: 'report.md', writer: 'src/report/report.ts' },
  { name: 'dist/SPEC.md', writer: 'checker/build.mjs' },
  // The packed checker's file list; and this entry itself.
  { name: 'SPEC.md', writer: 'checker/build.mjs', citedIn: ['test/checker/standalone.test.ts', 'test/repo/citations.ts'] },
];

/** Files never read for citations: binary formats. */
const BINARY = /\.(safetensors|gz|tgz|png|jpe?g|ico|woff2?)$/;

/** The repository as git lists it, read from disk. */
export function gitRepo(root: string): Repo {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' });
  const files = new Set(listed.split('\0').filter((f) => f !== '' && existsSync(join(root, f))));
  return { files, read: (path) => readFileSync(join(root, path), 'utf8') };
}

/** Every citation in the repository whose document, section or anchor it lacks, in file and line order. */
export function brokenCitations(repo: Repo): Finding[] {
  const out: Finding[] = [];
  for (const file of [...repo.files].sort()) {
    if (BINARY.test(file)) continue;
    const text = repo.read(file);
    if (text.includes('\0')) continue;
    if (!/\.md\b|§|\]\(/.test(text)) continue;
    out.push(...fileFindings(repo, file, text).sort((a, b) => a.line - b.line));
  }
  return out;
}

interface Citation {
  index: number;
  target: string;
  anchor: string | null;
  sections: string[];
  /** A link target that need not be a Markdown file. */
  link: boolean;
}

const URL_RE = /\b[a-z][a-z0-9+.-]*:\/\/[^\s)'"`>]+/gi;
const LINK_RE = /\[[^\]\n]*\]\(([^)\s]+)\)/g;
/** `§4`, `§5.3.2`, `§4.5–4.6`; a list of them joined by commas, semicolons, "and", "or" or slashes. */
const SECTION = String.raw`§\d+(?:\.\d+)*(?:[–-]\d+(?:\.\d+)*)?`;
const MORE_SECTIONS = String.raw`(?:\s*(?:,|;|and|or|/)?\s*${SECTION})*`;
const BARE_RE = new RegExp(String.raw`(?<![\w./-])(\/?(?:[\w.-]+\/)*[\w-][\w.-]*\.md)(?![\w])(#[\w-]+)?(${MORE_SECTIONS})`, 'g');
const SHORT_RE = new RegExp(String.raw`\b([A-Z][A-Z_]{2,})(\s+${SECTION}${MORE_SECTIONS})`, 'g');

function fileFindings(repo: Repo, file: string, raw: string): Finding[] {
  // URLs are cited pages elsewhere, not files here: blank them out, keeping offsets.
  const text = raw.replace(URL_RE, (u) => ' '.repeat(u.length));
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const lineOf = (index: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= index) lo = mid; else hi = mid - 1;
    }
    return lo + 1;
  };
  const seen = new Set<string>();
  const out: Finding[] = [];
  for (const c of citations(file, text)) {
    const problem = check(repo, file, c);
    const key = `${lineOf(c.index)}\0${c.target}\0${problem}`;
    if (problem === null || seen.has(key)) continue;
    seen.add(key);
    out.push({ file, line: lineOf(c.index), cited: c.target + (c.anchor ?? ''), problem });
  }
  return out;
}

function* citations(file: string, text: string): Generator<Citation> {
  if (file.endsWith('.md')) {
    for (const m of text.matchAll(LINK_RE)) {
      const [path, anchor] = splitAnchor(m[1]);
      if (/^[a-z][a-z0-9+.-]*:/i.test(m[1])) continue; // mailto:, a scheme without //
      yield { index: m.index, target: path === '' ? file : path, anchor, sections: [], link: true };
    }
  }
  for (const m of text.matchAll(BARE_RE)) yield { index: m.index, target: m[1], anchor: m[2] ?? null, sections: sectionNumbers(m[3]), link: false };
  for (const m of text.matchAll(SHORT_RE)) {
    yield { index: m.index, target: SHORT_NAMES[m[1]] ?? `${m[1]} (a short name)`, anchor: null, sections: sectionNumbers(m[2]), link: false };
  }
}

function splitAnchor(target: string): [string, string | null] {
  const i = target.indexOf('#');
  return i < 0 ? [target, null] : [target.slice(0, i), target.slice(i)];
}

/** `§4.5–4.6, §7` → ['4.5', '4.6', '7']. */
function sectionNumbers(list: string | undefined): string[] {
  return [...(list ?? '').matchAll(/\d+(?:\.\d+)*/g)].map((m) => m[0]);
}

function check(repo: Repo, file: string, c: Citation): string | null {
  if (!c.link && isOutput(file, c.target)) return null;
  const found = resolve(repo, file, c.target);
  if (found === null) return 'no such document in the repository';
  if (!found.endsWith('.md') || (c.anchor === null && c.sections.length === 0)) return null;
  const { numbers, slugs } = headings(repo.read(found));
  if (c.anchor !== null && !slugs.has(c.anchor.slice(1))) return `${found} has no heading with anchor ${c.anchor}`;
  const missing = c.sections.filter((s) => !numbers.has(s));
  return missing.length === 0 ? null : `${found} has no section ${missing.map((s) => `§${s}`).join(', ')}`;
}

function isOutput(file: string, target: string): boolean {
  const path = target.replace(/^(\.?\/)+/, '');
  return OUTPUTS.some((o) => (path === o.name || path.endsWith(`/${o.name}`)) && (o.citedIn === undefined || o.citedIn.includes(file)));
}

/** The repository path a citation names (a file, or a folder holding files), relative to the citing file or the root. */
function resolve(repo: Repo, file: string, target: string): string | null {
  const candidates = target.startsWith('/') ? [target.slice(1)] : [join(dirname(file), target), target];
  for (const candidate of candidates) {
    const path = normalize(candidate).replace(/\/$/, '');
    if (path.startsWith('..')) continue;
    if (repo.files.has(path)) return path;
    const folder = path === '.' ? '' : `${path}/`;
    for (const f of repo.files) if (f.startsWith(folder)) return path;
  }
  return null;
}

/** Section numbers (`## 5.2 Title` → 5.2) and GitHub anchors of a Markdown text's headings, outside code fences. */
export function headings(text: string): { numbers: Set<string>; slugs: Set<string> } {
  const numbers = new Set<string>();
  const slugs = new Set<string>();
  const used = new Map<string, number>();
  let fenced = false;
  for (const line of text.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const h = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!h) continue;
    const number = /^(\d+(?:\.\d+)*)\.?\s/.exec(h[1]);
    if (number) numbers.add(number[1]);
    const base = h[1].toLowerCase().replace(/[^\p{L}\p{N}\p{M}_ -]/gu, '').replace(/ /g, '-');
    const n = used.get(base) ?? 0;
    used.set(base, n + 1);
    slugs.add(n === 0 ? base : `${base}-${n}`);
  }
  return { numbers, slugs };
}
