#!/usr/bin/env node
// Runs the prover CLI as compiled JavaScript (dist/, built by `npm run build` from src/ with tsconfig.build.json).
// Without a build (a fresh checkout), it falls back to the TypeScript sources through tsx, which starts slower.
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli/main.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
