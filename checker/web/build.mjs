// Builds the browser page: checker/web/dist/mechcert-check.html, one self-contained HTML file (no network: inline
// script and style, a Content-Security-Policy that allows nothing else) that checks a certificate in a Web Worker
// with the same code as mechcert-check: checker/check.ts and its imports, bundled by esbuild, with platform.ts replaced
// by platform-browser.ts (Web Crypto, DecompressionStream) and the parallel driver (node:worker_threads) replaced by a
// stub that refuses (the page checks on one thread). The build is byte-reproducible: same sources, same esbuild
// version, same bytes. It prints the page's SHA-256 and the SHA-256 of the embedded checker bundle, which the page shows.
//
// Run: npm run build:web --workspace checker (after npm run build, which generates checker/schema-validator.js).
// Options: --out DIR writes there instead of checker/web/dist.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, version as esbuildVersion } from 'esbuild';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const root = here('../../');
const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest('hex');
const sha256b64 = (text) => createHash('sha256').update(text, 'utf8').digest('base64');

const outFlag = process.argv.indexOf('--out');
const outDir = outFlag > 0 ? process.argv[outFlag + 1] : here('./dist');
if (!outDir) throw new Error('--out needs a folder');

if (!existsSync(here('../schema-validator.js'))) {
  console.error('checker/schema-validator.js is missing: run `npm run build --workspace checker` (node checker/build.mjs) first');
  process.exit(2);
}

/** platform.js → platform-browser.ts; parallel.js → a stub; any node: import is a build error. */
const browserPlatform = {
  name: 'mechcert-browser-platform',
  setup(b) {
    const checkerDir = here('..');
    const inChecker = (importer) => !relative(checkerDir, importer).startsWith('..');
    b.onResolve({ filter: /^\.\/platform\.js$/ }, (args) => (inChecker(args.importer) ? { path: here('../platform-browser.ts') } : undefined));
    b.onResolve({ filter: /^\.\/parallel\.js$/ }, (args) => (inChecker(args.importer) ? { path: 'parallel.js', namespace: 'mechcert-stub' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'mechcert-stub' }, () => ({
      contents: 'export function startPool() {\n  throw new Error("the browser page checks on one thread: no parallel pool");\n}\n',
      loader: 'js',
    }));
    b.onResolve({ filter: /^node:/ }, (args) => ({ errors: [{ text: `${args.path} (imported by ${relative(root, args.importer)}) has no place in the browser bundle` }] }));
  },
};

const result = await build({
  absWorkingDir: root,
  entryPoints: ['checker/web/worker.ts'],
  bundle: true,
  write: false,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  charset: 'utf8',
  legalComments: 'inline',
  logLevel: 'warning',
  plugins: [browserPlatform],
});
const bundle = result.outputFiles[0].text;

// What must not be in the bundle: a Node module (it could not run in a browser), and what would end or upset the
// <script type="text/plain"> element that carries the bundle verbatim.
for (const [bad, why] of [[/\bnode:[a-z_]/, 'a node: module'], [/\brequire\(/, 'require()'], [/<\/script|<!--|<script/i, 'text that ends an HTML script element']]) {
  if (bad.test(bundle)) throw new Error(`the checker bundle contains ${why}: ${bad.exec(bundle)?.[0]}`);
}

const version = /export const CHECKER_VERSION = '([^']+)'/.exec(readFileSync(here('../check.ts'), 'utf8'))?.[1];
if (!version) throw new Error('CHECKER_VERSION not found in checker/check.ts');
const bundleSha256 = sha256(bundle);
const pageScript = readFileSync(here('./page.js'), 'utf8');
const style = readFileSync(here('./page.css'), 'utf8');
/** The template with each {{KEY}} replaced by its value, in one pass (inserted text is never scanned again). */
const fill = (template, values) => template.replace(/\{\{([A-Z0-9_]+)\}\}/g, (_, key) => {
  if (!(key in values)) throw new Error(`page.html: no value for {{${key}}}`);
  return values[key];
});
const html = fill(readFileSync(here('./page.html'), 'utf8'), {
  VERSION: version,
  ESBUILD_VERSION: esbuildVersion,
  BUNDLE_SHA256: bundleSha256,
  BUNDLE_BYTES: String(Buffer.byteLength(bundle, 'utf8')),
  SCRIPT_HASH: `sha256-${sha256b64(pageScript)}`,
  STYLE_HASH: `sha256-${sha256b64(style)}`,
  STYLE: style,
  SCRIPT: pageScript,
  BUNDLE: bundle,
});

mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'mechcert-check.html'), html);
writeFileSync(join(outDir, 'mechcert-check-worker.js'), bundle);
/** The path as given to sha256sum: relative to the current folder when inside it. */
const shown = (p) => (relative(process.cwd(), p).startsWith('..') ? p : relative(process.cwd(), p));
console.log(`${sha256(html)}  ${shown(join(outDir, 'mechcert-check.html'))}`);
console.log(`${bundleSha256}  checker bundle (embedded; also ${shown(join(outDir, 'mechcert-check-worker.js'))})`);
console.log(`mechcert-checker ${version}, esbuild ${esbuildVersion}`);
