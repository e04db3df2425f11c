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
      const src = readFileSync(file, 'utf8');
      const specs = [...src.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)|require\(/g)];
      for (const m of specs) {
        seen++;
        const spec = m[1] ?? m[2];
        if (spec === undefined && relative(root, file) in TOOLING) continue; // a build tool may require()
        expect(spec, `${relative(root, file)}: require()`).toBeDefined();
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
});
