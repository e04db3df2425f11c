// The browser page (checker/web): built byte-reproducibly from the checker's own code, and, in a real headless
// Chromium (Debian's `chromium`, or CHROMIUM_PATH, driven by playwright-core), giving the same text as mechcert-check
// for the same files: a valid certificate (plain and gzip) with the CLI's cite line, a tampered one rejected with the
// CLI's step and rule. Without Chromium the browser half is skipped, except under CI=true, where it fails.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GunzipError, gunzip, sha256Hex } from '../../checker/platform-browser.js';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'mechcert-web-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const haveChromium = existsSync(chromiumPath);
const inCI = process.env.CI === 'true' || process.env.CI === '1';
if (!haveChromium && !inCI) {
  console.warn(`web.test.ts: skipping the browser tests: no Chromium at ${chromiumPath} (install Debian's chromium or set CHROMIUM_PATH)`);
}

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

/** Builds the page into `out`; returns the build's printed lines and the page's bytes. */
function buildPage(out: string): { printed: string[]; html: Buffer } {
  const printed = execFileSync(process.execPath, [join(root, 'checker/web/build.mjs'), '--out', out], { cwd: root, encoding: 'utf8' }).trim().split('\n');
  return { printed, html: readFileSync(join(out, 'mechcert-check.html')) };
}

/** The checker bundle embedded in the page, verbatim. */
const embeddedBundle = (html: string) => /<script id="checker-bundle" type="text\/plain">([\s\S]*?)<\/script>/.exec(html)?.[1];

const built = { printed: [] as string[], html: Buffer.alloc(0), page: '' };
beforeAll(() => {
  const b = buildPage(join(dir, 'a'));
  Object.assign(built, b, { page: join(dir, 'a', 'mechcert-check.html') });
}, 120_000);

describe('checker/web/build.mjs', () => {
  it('is byte-reproducible and prints the page SHA-256', () => {
    const again = buildPage(join(dir, 'b'));
    expect(again.html.equals(built.html)).toBe(true);
    expect(built.printed[0]).toBe(`${sha256(built.html)}  ${join(dir, 'a', 'mechcert-check.html')}`);
  });

  it('embeds the checker bundle verbatim, shows its SHA-256, and the bundle holds no Node.js module', () => {
    const html = built.html.toString('utf8');
    const bundle = embeddedBundle(html);
    expect(bundle).toBeDefined();
    const hash = sha256(bundle!);
    expect(html).toContain(`<code id="bundle-sha256">${hash}</code>`);
    expect(built.printed[1]).toMatch(new RegExp(`^${hash}  checker bundle`));
    expect(readFileSync(join(dir, 'a', 'mechcert-check-worker.js'), 'utf8')).toBe(bundle);
    expect(bundle).not.toMatch(/\bnode:[a-z]|\brequire\(/);
    expect(bundle).toContain('// checker/check.ts');
    expect(bundle).toContain('// checker/platform-browser.ts');
    expect(bundle).not.toContain('// checker/platform.ts');
    // No network: no external resource, and a policy that forbids any.
    expect(html).not.toMatch(/\b(?:src|href)=/);
    expect(html).toMatch(/http-equiv="Content-Security-Policy" content="default-src 'none';/);
  });
});

describe('checker/platform-browser.ts (Web Crypto and DecompressionStream, here those of Node.js)', () => {
  const text = new TextEncoder().encode('{"certificate": true}\n'.repeat(5000));
  const gz = gzipSync(text);

  it('hashes and gunzips as platform.ts does', async () => {
    expect(await sha256Hex(text)).toBe(sha256(text));
    expect(Buffer.from(await gunzip(gz, text.length)).equals(Buffer.from(text))).toBe(true);
  });

  it('stops past the byte cap (too large) and reports corrupt data as such', async () => {
    await expect(gunzip(gz, text.length - 1)).rejects.toMatchObject({ tooLarge: true });
    const badCrc = Uint8Array.from(gz);
    badCrc[badCrc.length - 6] ^= 1;
    for (const bad of [badCrc, gz.subarray(0, gz.length - 4), Uint8Array.from([...gz, 1, 2, 3])]) {
      const e = await gunzip(bad, 1 << 24).then(() => null, (err: unknown) => err);
      expect(e).toBeInstanceOf(GunzipError);
      expect((e as GunzipError).tooLarge).toBe(false);
    }
  });
});

it.runIf(!haveChromium && inCI)('Chromium is installed (required under CI)', () => {
  expect.fail(`no Chromium at ${chromiumPath}: CI must install Debian's chromium (or set CHROMIUM_PATH)`);
});

describe.skipIf(!haveChromium)('the page in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
  });

  /** Checker sources newer than checker/dist, which the CLI runs (the page is built from the sources). */
  const staleDist = () => {
    const dist = join(root, 'checker/dist/cli.js');
    if (!existsSync(dist)) return ['checker/dist/cli.js is missing'];
    const builtAt = statSync(dist).mtimeMs;
    return (readdirSync(join(root, 'checker'), { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !/(^|\/)(dist|node_modules|web)\//.test(f) && f !== 'platform-browser.ts')
      .filter((f) => statSync(join(root, 'checker', f)).mtimeMs > builtAt);
  };

  const cli = (cert: string, model: string) => {
    expect(staleDist(), 'checker/dist is older than these checker sources: run `npm run build` first').toEqual([]);
    const r = spawnSync(process.execPath, [join(root, 'bin/mechcert-check.js'), cert, '--model', model], { cwd: root, encoding: 'utf8' });
    return { code: r.status, out: r.stdout };
  };

  /** Opens the page from file://, gives it the two files (through its inputs, or dropped together), waits for the verdict. */
  async function inPage(cert: string, model: string, via: 'inputs' | 'drop' = 'inputs') {
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    try {
      await page.goto(pathToFileURL(built.page).href);
      if (via === 'inputs') {
        await page.setInputFiles('#model', model);
        await page.setInputFiles('#certificate', cert);
      } else {
        const files = [cert, model].map((f) => ({ name: basename(f), b64: readFileSync(f).toString('base64') }));
        const dataTransfer = await page.evaluateHandle((list) => {
          // Runs in the page (DOM types are not in this project's lib).
          const dt = new (globalThis as unknown as { DataTransfer: new () => { items: { add(f: File): void } } }).DataTransfer();
          for (const f of list) dt.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name));
          return dt;
        }, files);
        await page.dispatchEvent('#drop', 'drop', { dataTransfer });
      }
      await page.waitForSelector('body[data-state="done"]', { timeout: 90_000 });
      return {
        text: await page.locator('#verdict').textContent(),
        status: await page.locator('#status').getAttribute('data-status'),
        statusText: await page.locator('#status').textContent(),
        summary: await page.locator('#summary').textContent(),
        bundleCheck: await page.locator('#bundle-check').textContent(),
        requests,
      };
    } finally {
      await page.close();
    }
  }

  const model = join(root, 'models/max4-v64-s50.safetensors');

  it('verifies a committed certificate with the CLI\'s text, cite line included', async () => {
    const cert = join(root, 'certificates/max4-v64-s50.subcubic.json');
    const want = cli(cert, model);
    expect(want.code).toBe(0);
    const got = await inPage(cert, model);
    expect(got.status).toBe('verified');
    expect(got.statusText).toBe('VERIFIED');
    expect(`${got.text}\n`).toBe(want.out);
    const cite = want.out.split('\n').find((l) => l.startsWith('cite:'));
    expect(cite).toMatch(/^cite: +mechcert-checker \S+ verified accuracy ≥ /);
    expect(got.text!.split('\n')).toContain(cite);
    expect(got.bundleCheck).toMatch(/it matches\.$/);
    // Nothing but the page itself and the worker made from its embedded bundle.
    expect(got.requests.filter((u) => !u.startsWith('blob:') && u !== pathToFileURL(built.page).href)).toEqual([]);
  });

  it('reads a .json.gz certificate dropped with the model as the CLI does (the file line included)', async () => {
    const gz = join(dir, 'max4-v64-s50.cubic.json.gz');
    writeFileSync(gz, gzipSync(readFileSync(join(root, 'certificates/max4-v64-s50.cubic.json')), { level: 9 }));
    const want = cli(gz, model);
    expect(want.code).toBe(0);
    expect(want.out).toMatch(/\nfile: +sha256 /);
    const got = await inPage(gz, model, 'drop');
    expect(got.status).toBe('verified');
    expect(`${got.text}\n`).toBe(want.out);
  });

  it('refuses what follows a gzip member as the CLI does: a second member, a zero byte and more (rule gzip in both)', async () => {
    const text = readFileSync(join(root, 'certificates/max4-v64-s50.subcubic.json'));
    const cases = {
      'two-members': Buffer.concat([gzipSync(text.subarray(0, 100)), gzipSync(text.subarray(100))]),
      'zero-then-bytes': Buffer.concat([gzipSync(text), Buffer.from('\0{"unread":1}')]),
    };
    for (const [name, bytes] of Object.entries(cases)) {
      const file = join(dir, `${name}.json.gz`);
      writeFileSync(file, bytes);
      const want = cli(file, model);
      expect(want.code, name).toBe(1);
      expect(want.out, name).toMatch(/^rule: +gzip$/m);
      const got = await inPage(file, model);
      expect(got.status, name).toBe('rejected');
      expect(got.summary, name).toMatch(/^Rejected at step \(none\), rule gzip: gzip certificate is corrupt: /);
    }
  });

  it('rejects tampered certificates with the CLI\'s step, rule and reason', async () => {
    const claimTooHigh = JSON.parse(readFileSync(join(root, 'certificates/max4-v64-s50.subcubic.json'), 'utf8'));
    claimTooHigh.claim.correct = claimTooHigh.claim.total;
    const expEntry = JSON.parse(readFileSync(join(root, 'certificates/max4-v64-s50.cubic.json'), 'utf8'));
    const table = expEntry.evidence.steps.find((s: { kind: string }) => s.kind === 'exp-table');
    table.hi[0][0] = (BigInt(table.lo[0][0]) - 1n).toString();
    for (const [name, cert] of [['claim-too-high', claimTooHigh], ['exp-entry', expEntry]]) {
      const file = join(dir, `${name}.json`);
      writeFileSync(file, JSON.stringify(cert));
      const want = cli(file, model);
      expect(want.code, name).toBe(1);
      const got = await inPage(file, model);
      expect(got.status, name).toBe('rejected');
      expect(got.statusText, name).toBe('NOT VERIFIED');
      expect(`${got.text}\n`, name).toBe(want.out);
      const field = (f: string) => new RegExp(`^${f}: +(.*)$`, 'm').exec(want.out)?.[1];
      expect(got.summary, name).toBe(`Rejected at step ${field('step')}, rule ${field('rule')}: ${field('reason')}`);
    }
  });
});
