/**
 * mechcert: the prover's command line. Each command lives in its own module and registers itself here.
 * User mistakes (bad flags, missing or malformed files, a model beyond the chosen backend's limits) end in one line on
 * stderr and exit code 2, never a stack trace.
 */
import { Command, CommanderError } from 'commander';
import { BackendLimitError } from '../backend/registry.js';
import { ModelFormatError } from '../model/model.js';
import { UsageError } from './errors.js';

const program = new Command();
program
  .name('mechcert')
  .description('Prove accuracy lower bounds for small transformers and emit certificates an exact checker re-verifies.')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

// Command modules, in the order they are listed by --help.
const commandModules: Array<() => Promise<{ register(program: Command): void }>> = [
  () => import('./commands/main.js'),
  () => import('./commands/train.js'),
  () => import('./commands/eval.js'),
  () => import('./commands/report.js'),
  () => import('./commands/sweep.js'),
  () => import('./commands/worker.js'),
  () => import('./commands/strategies.js'),
  () => import('./commands/prove.js'),
  () => import('./commands/check.js'),
];
for (const load of commandModules) (await load()).register(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  if (e instanceof ModelFormatError || e instanceof UsageError || e instanceof BackendLimitError) {
    process.stderr.write(`mechcert: ${e.message}\n`);
    process.exit(2);
  }
  throw e;
}
