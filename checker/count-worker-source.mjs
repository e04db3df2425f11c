// Worker entry when the checker runs from its TypeScript source (the repository's tests): worker threads do not
// inherit the main thread's loader, so this registers tsx and then loads count-worker.ts. Not part of the package:
// the compiled checker starts count-worker.js directly.
(await import('tsx/esm/api')).register();
await import('./count-worker.ts');
