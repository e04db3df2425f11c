import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const checker = join(root, 'checker');
/** Every import checker/ may make besides relative paths inside checker/ and ../schemas. */
const ALLOWED = new Set(['node:crypto', 'node:zlib', 'node:fs', 'node:worker_threads', 'ajv/dist/2020.js']);

const files = (readdirSync(checker, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => join(checker, f));

describe('checker/ imports (the trust boundary)', () => {
  it('imports only node built-ins, ajv, and files inside checker/ or schemas/', () => {
    expect(files.length).toBeGreaterThan(5);
    let seen = 0;
    for (const file of files) {
      const src = readFileSync(file, 'utf8');
      const specs = [...src.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)|require\(/g)];
      for (const m of specs) {
        seen++;
        const spec = m[1] ?? m[2];
        expect(spec, `${relative(root, file)}: require()`).toBeDefined();
        if (spec.startsWith('.')) {
          const target = relative(root, resolve(dirname(file), spec));
          expect(target.startsWith('checker/') || /^schemas\/[^/]+\.json$/.test(target), `${relative(root, file)} imports ${spec}`).toBe(true);
        } else {
          expect(ALLOWED.has(spec), `${relative(root, file)} imports ${spec}`).toBe(true);
        }
      }
    }
    expect(seen).toBeGreaterThan(30);
  });

  it('node:fs is used only at the I/O edge (the CLI and its bounded input reader), never by a rule', () => {
    for (const file of files) {
      if (file.endsWith('/cli.ts') || file.endsWith('/read.ts')) continue;
      expect(readFileSync(file, 'utf8'), relative(root, file)).not.toMatch(/from 'node:fs'/);
    }
  });

  it('checker/package.json depends on ajv alone', () => {
    const pkg = JSON.parse(readFileSync(join(checker, 'package.json'), 'utf8'));
    expect(pkg.name).toBe('mechcert-checker');
    expect(pkg.type).toBe('module');
    expect(Object.keys(pkg.dependencies)).toEqual(['ajv']);
    expect(pkg.devDependencies).toBeUndefined();
  });
});
