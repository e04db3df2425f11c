#!/usr/bin/env node
// Runs the standalone checker CLI from its TypeScript source through tsx.
import { register } from 'tsx/esm/api';
register();
await import('../checker/cli.ts');
