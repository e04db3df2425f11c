// Worker entry for parallel counting (checker/parallel.ts). On Node 20, `execArgv: ['--import', 'tsx']`
// does not apply tsx to a worker's .ts entry, so this bootstrap registers tsx through its API (as bin/mechcert-check.js
// does for the CLI) and then imports the TypeScript worker. A runtime that loads .ts itself needs no tsx.
try {
  (await import('tsx/esm/api')).register();
} catch {
  // No tsx: the runtime must load TypeScript on its own.
}
await import('./count-worker.ts');
