/**
 * Every document the repository cites is in the repository (test/repo/citations.ts says what counts as a citation).
 * The sample repositories below spell document names through `md()`, so that this file itself cites nothing missing.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OUTPUTS, brokenCitations, gitRepo, headings, type Repo } from './citations.js';

const root = resolve(import.meta.dirname, '../..');
/** `md('docs/guide')` is the name of docs/guide as a Markdown file. */
const md = (name: string) => `${name}.md`;
const GUIDE = md('docs/guide');
const SPEC = md('schemas/SPEC');

/** A repository of the given files (path → text). */
const repoOf = (files: Record<string, string>): Repo => ({ files: new Set(Object.keys(files)), read: (p) => files[p] });

const problems = (files: Record<string, string>) => brokenCitations(repoOf(files)).map((f) => `${f.file}:${f.line}: ${f.cited}: ${f.problem}`);

const DOCS = {
  [GUIDE]: '# Guide\n\n## 1. Start\n\n### 1.2 Then\n\n```sh\n# not a heading\n```\n',
  [SPEC]: '# Spec\n\n## 4. Steps\n\n### 4.3 `cubic-count`\n',
};

describe('document citations', () => {
  it('every cited document, section and anchor exists in the repository', () => {
    const found = brokenCitations(gitRepo(root)).map((f) => `${f.file}:${f.line}: ${f.cited}: ${f.problem}`);
    expect(found).toEqual([]);
  });

  it('each output name is written by the file it names', () => {
    const repo = gitRepo(root);
    for (const o of OUTPUTS) expect(repo.read(o.writer), `${o.writer} writes ${o.name}`).toContain(o.name);
  });
});

describe('the citation scanner', () => {
  it('names file and line of a cited document that is missing, in a comment, a string or prose', () => {
    expect(problems({
      ...DOCS,
      'src/a.ts': `/**\n * As argued in ${md('NOTES')} §2.\n */\nconst s = 'see ${md('shared/NOTES')}';\n`,
      [md('README')]: `Intro.\n\nSee [the notes](${md('docs/notes')}) and ${GUIDE}.\n`,
    })).toEqual([
      `${md('README')}:3: ${md('docs/notes')}: no such document in the repository`,
      `src/a.ts:2: ${md('NOTES')}: no such document in the repository`,
      `src/a.ts:4: ${md('shared/NOTES')}: no such document in the repository`,
    ]);
  });

  it('resolves relative to the citing file, then to the root; folders and files of any kind count in links', () => {
    expect(problems({
      ...DOCS,
      [md('docs/index')]: `[g](${md('guide')}) [s](../${SPEC}) [src](../src/) [code](../src/a.ts) ${GUIDE}\n`,
      'src/a.ts': `// ${GUIDE} and ../${GUIDE}\n`,
    })).toEqual([]);
  });

  it('checks section numbers and anchors against the headings of the cited document', () => {
    expect(problems({
      ...DOCS,
      'src/a.ts': `// (${GUIDE} §1.2, §1.3; SPEC §4.3–4.4)\n// ${GUIDE}#1-start ${GUIDE}#not-a-heading\n`,
    })).toEqual([
      `src/a.ts:1: ${GUIDE}: ${GUIDE} has no section §1.3`,
      `src/a.ts:1: ${SPEC}: ${SPEC} has no section §4.4`,
      `src/a.ts:2: ${GUIDE}#not-a-heading: ${GUIDE} has no heading with anchor #not-a-heading`,
    ]);
  });

  it('refuses a short name it does not know, and ignores URLs', () => {
    const shortName = ['DES', 'IGN'].join('');
    expect(problems({
      ...DOCS,
      'src/a.ts': `// the prover (${shortName} §7), https://example.org/${md('NOTES')}\n`,
    })).toEqual([`src/a.ts:1: ${shortName} (a short name): no such document in the repository`]);
  });

  it('accepts the names of files a program writes only where OUTPUTS allows them', () => {
    expect(problems({
      ...DOCS,
      'src/cli/main.ts': `write(join(out, '${md('report')}'));\n`,
      'test/checker/standalone.test.ts': `expect(files).toContain('${md('SPEC')}');\n`,
      'src/b.ts': `// see '${md('SPEC')}'\n`,
    })).toEqual([`src/b.ts:1: ${md('SPEC')}: no such document in the repository`]);
  });

  it('derives GitHub anchors from headings, numbering repeats and skipping code fences', () => {
    const { numbers, slugs } = headings('# A `b` c: 5 × 2\n## 5.3.2 The axes\n## Dup\n## Dup\n```\n# fenced\n```\n');
    expect([...numbers]).toEqual(['5.3.2']);
    expect([...slugs]).toEqual(['a-b-c-5--2', '532-the-axes', 'dup', 'dup-1']);
  });
});
