// Worker entry: worker threads do not inherit the main thread's TypeScript loader, so register tsx here first.
import { register } from 'tsx/esm/api';

register();
await import('./brute-force-worker.ts');
