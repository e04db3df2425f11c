#!/usr/bin/env node
// The `mechcert-check` executable: runs the command (command.ts) on this process's arguments. An error that escapes
// it is the checker's own failure: one line, exit 3 (not decided), never a stack trace.
import { runCheckCommand } from './command.js';
import { printable } from './verdict.js';

runCheckCommand(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`mechcert-check: internal error: ${printable(e instanceof Error ? e.message : String(e))}\n`);
    process.exitCode = 3;
  },
);
