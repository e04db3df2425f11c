import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A worker thread running the entry module `name` (no extension) that sits beside the calling module `base` (its
 * import.meta.url). Built (base is a .js file in dist/), the thread loads the compiled `name.js` directly. Run from
 * source (vitest, tsx), it loads `name.ts`: on Node 20 neither an inherited nor an explicit `execArgv: ['--import',
 * 'tsx']` applies tsx to a worker's entry ("Unknown file extension .ts"), so the thread starts from a small eval'd
 * bootstrap that registers tsx through its API and then imports the entry, both resolved here to absolute URLs.
 */
export function startWorker(base: string, name: string, options: WorkerOptions = {}): Worker {
  if (base.endsWith('.js')) return new Worker(new URL(`./${name}.js`, base), options);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(new URL(`./${name}.ts`, base).href);
  const bootstrap = `import(${tsx}).then((m) => { m.register(); return import(${entry}); }).catch((e) => { console.error(e); process.exit(1); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
