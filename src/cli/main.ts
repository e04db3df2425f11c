/**
 * mechcert: the prover's command line. Each command lives in its own module and registers itself here.
 * User mistakes (bad flags, missing or malformed files, a model beyond the chosen backend's limits) end in one line on
 * stderr and exit code 2, never a stack trace.
 *
 * Start-up is kept small (`mechcert --help` and `mechcert check` load no prover code): command modules import only
 * what their flags and help need, and load the code that does the work (vega, bullmq, webgpu, the provers) inside
 * their actions. Costly option defaults are computed only for the command that runs (./lazy.ts).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { InputFileError } from 'mechcert-checker/read';
import { printable } from 'mechcert-checker/verdict';
import { BackendLimitError } from '../backend/registry.js';
import { UsageError } from './errors.js';
import { resolveLazyDefaults, selectedCommand } from './lazy.js';
import { printableLines } from './printable.js';

// ../../package.json from src/cli/main.ts and from its build, dist/cli/main.js.
const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command();
program
  .name('mechcert')
  .description('Prove accuracy lower bounds for small transformers and emit certificates an exact checker re-verifies.')
  .version(`mechcert ${version}`, '-V, --version', 'output the version number')
  .exitOverride()
  // Commander's errors quote the command line (`unknown option '…'`): untrusted text (./printable.ts).
  .configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: (s, write) => write(printableLines(s)) });

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

/** Parses the command line with commander and runs the command it names. */
async function runProgram(argv: string[]): Promise<void> {
  for (const module of await Promise.all(commandModules.map((load) => load()))) module.register(program);
  // The command that runs, or whose help `help <command>` shows, gets its costly defaults before parsing; the hook is a
  // second chance should commander dispatch to another command than selectedCommand found.
  program.hook('preSubcommand', (_, subcommand) => resolveLazyDefaults(subcommand));
  const selected = selectedCommand(program, argv.slice(2));
  if (selected) await resolveLazyDefaults(selected);
  await program.parseAsync(argv);
}

try {
  // `mechcert check …` is the checker's own command line: every argument after `check` goes to it as given. Through
  // commander, -V/--version anywhere on the line would print the prover's version, and a `--` would be dropped.
  if (process.argv[2] === 'check') {
    const { runCheck } = await import('./commands/check.js');
    process.exitCode = await runCheck(process.argv.slice(3));
  } else {
    await runProgram(process.argv);
  }
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  // The model reader is loaded by the commands that read models; a ModelFormatError implies it is loaded already.
  const { ModelFormatError } = await import('../model/model.js');
  const { OutputPathError } = await import('../util/atomic.js');
  if (e instanceof ModelFormatError || e instanceof InputFileError || e instanceof UsageError || e instanceof BackendLimitError || e instanceof OutputPathError) {
    // Messages quote file names, flag values and model headers: untrusted text (./printable.ts).
    process.stderr.write(`mechcert: ${printable(e.message)}\n`);
    process.exit(2);
  }
  throw e;
}
