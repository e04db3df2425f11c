// Worker entry of the brute-force prover's float pass (src/prove/brute-force.ts starts it). Built (tsc emits this file
// beside brute-force-worker.js in dist/), it loads the compiled entry directly. Run from source (vitest), worker
// threads do not inherit the main thread's TypeScript loader, so it registers tsx first and loads the .ts entry.
import { existsSync } from 'node:fs';

const compiled = new URL('./brute-force-worker.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('./brute-force-worker.ts', import.meta.url).href);
}
