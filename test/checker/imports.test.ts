import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const checker = join(root, 'checker');
/** Every import the checker's sources may make besides relative paths inside checker/: Node built-ins only. */
const ALLOWED = new Set(['node:crypto', 'node:zlib', 'node:fs', 'node:worker_threads']);
/** Files that are not part of the installed checker and may import more (build tools, the source-mode worker entry). */
const TOOLING: Record<string, string[]> = {
  'checker/build.mjs': ['node:child_process', 'node:module', 'node:url', 'ajv/dist/2020.js', 'ajv/dist/standalone/index.js', 'esbuild'],
};

const sources = (readdirSync(checker, { recursive: true }) as string[])
  .filter((f) => /\.(ts|mjs|js)$/.test(f) && !f.endsWith('.d.ts') && !/(^|\/)(dist|node_modules|web)\//.test(f) && f !== 'schema-validator.js');
const files = sources.map((f) => join(checker, f));

describe('checker/ imports (the trust boundary)', () => {
  it('imports only Node built-ins and files inside checker/ (build tools aside)', () => {
    expect(files.length).toBeGreaterThan(5);
    let seen = 0;
    for (const file of files) {
      for (const spec of importSpecs(file)) {
        seen++;
        if (spec === undefined && relative(root, file) in TOOLING) continue; // a build tool may require()
        expect(spec, `${relative(root, file)}: require()`).toBeDefined();
        if (spec === undefined) continue; // (the assertion above has failed)
        if (spec.startsWith('.')) {
          const target = relative(root, resolve(dirname(file), spec));
          expect(target.startsWith('checker/'), `${relative(root, file)} imports ${spec}`).toBe(true);
        } else {
          const allowed = ALLOWED.has(spec) || (TOOLING[relative(root, file)] ?? []).includes(spec);
          expect(allowed, `${relative(root, file)} imports ${spec}`).toBe(true);
        }
      }
    }
    expect(seen).toBeGreaterThan(30);
  });

  it('node:fs is used only at the I/O edge (the CLI and its bounded input reader), never by a rule', () => {
    for (const file of files) {
      if (file.endsWith('/cli.ts') || file.endsWith('/read.ts') || relative(root, file) in TOOLING) continue;
      expect(readFileSync(file, 'utf8'), relative(root, file)).not.toMatch(/from 'node:fs'/);
    }
  });

  it('keeps no module-level mutable state (no top-level let or var; the schema validator is made per check)', () => {
    for (const file of files) expect(readFileSync(file, 'utf8'), relative(root, file)).not.toMatch(/^(export )?(let|var) /m);
    expect(readFileSync(join(checker, 'check.ts'), 'utf8')).toMatch(/const validate = makeValidator\(\);/);
  });

  it('scans the TypeScript sources and the .mjs entry points', () => {
    expect(sources).toContain('build.mjs');
    expect(sources).toContain('check.ts');
  });

  it('the package has no runtime dependency and ships only its build', () => {
    const pkg = JSON.parse(readFileSync(join(checker, 'package.json'), 'utf8'));
    expect(pkg.name).toBe('mechcert-checker');
    expect(pkg.type).toBe('module');
    expect(pkg.dependencies).toBeUndefined();
    expect(pkg.files).toEqual(['bin', 'dist', 'README.md']);
    expect(pkg.bin).toEqual({ 'mechcert-check': 'bin/mechcert-check.js' });
    // The committed launcher runs the build and nothing else.
    const launcher = readFileSync(join(checker, 'bin/mechcert-check.js'), 'utf8');
    expect([...launcher.matchAll(/import\(['"]([^'"]+)['"]\)|from ['"]([^'"]+)['"]/g)].map((m) => m[1] ?? m[2])).toEqual(['../dist/cli.js']);
  });

  it('has no import cycle among its sources, type-only imports included', () => {
    expect(findCycle(importGraph())).toBeNull();
    // The search itself: a loop through a type-only import is one.
    expect(findCycle(new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']]]))).toEqual(['a.ts', 'b.ts', 'c.ts', 'a.ts']);
    expect(findCycle(new Map([['a.ts', ['b.ts', 'c.ts']], ['b.ts', ['c.ts']], ['c.ts', []]]))).toBeNull();
  });
});

/** What a source imports: each static or dynamic import's specifier, or undefined for a require() call. */
function importSpecs(file: string): (string | undefined)[] {
  const src = readFileSync(file, 'utf8');
  return [...src.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)|require\(/g)].map((m) => m[1] ?? m[2]);
}

/** Each checker source (relative to checker/) with the checker sources it imports, `import type` included. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const local = importSpecs(file).filter((spec): spec is string => spec?.startsWith('.') === true);
    graph.set(relative(checker, file), local.map((spec) => relative(checker, resolve(dirname(file), spec)).replace(/\.js$/, '.ts')));
  }
  return graph;
}

/** A loop of imports (its files, the first repeated at the end), or null when the graph has none. */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (file: string): string[] | null => {
    if (path.includes(file)) return [...path.slice(path.indexOf(file)), file];
    if (done.has(file)) return null;
    path.push(file);
    for (const dep of graph.get(file) ?? []) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    path.pop();
    done.add(file);
    return null;
  };
  for (const file of graph.keys()) {
    const cycle = visit(file);
    if (cycle) return cycle;
  }
  return null;
}
