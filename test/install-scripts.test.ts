/**
 * Every dependency with an install script (package-lock.json's `hasInstallScript`) has been reviewed: package.json's
 * `allowScripts` (npm 11) names it, so `npm ci` runs its script without the warning `install scripts not yet covered by
 * allowScripts`, and a new dependency with an install script fails here until someone has reviewed it and added it.
 * Reviewed: esbuild (postinstall: checks or fetches its platform binary), webgpu (postinstall: clears the macOS
 * quarantine attribute of dawn.node), msgpackr-extract (optional native MessagePack decoder for bullmq; install:
 * node-gyp-build-optional-packages, which builds it only where no prebuilt binary exists).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (name: string) => JSON.parse(readFileSync(new URL(`../${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

describe('install scripts', () => {
  it('package.json allowScripts covers every package of the lockfile with an install script, and nothing else', () => {
    const packages = read('package-lock.json').packages as Record<string, { hasInstallScript?: boolean }>;
    const withScripts = new Set(Object.entries(packages).filter(([, p]) => p.hasInstallScript).map(([path]) => path.replace(/^.*node_modules\//, '')));
    expect(withScripts.size).toBeGreaterThan(0);
    const allowed = read('package.json').allowScripts as Record<string, boolean>;
    expect(Object.keys(allowed).sort()).toEqual([...withScripts].sort());
    expect(Object.values(allowed).every((v) => v === true)).toBe(true);
  });
});
