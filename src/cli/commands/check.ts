/**
 * `mechcert check <cert> --model <model> [--json] [--threads N] [--max-work OPS]`: the built checker package's own
 * command (mechcert-checker's runCheckCommand), so that it prints the same bytes and exits with the same codes as the
 * standalone `mechcert-check`: 0 verified, 1 rejected, 2 usage or I/O error, 3 not decided here. main.ts hands it every
 * argument after `check` before commander parses anything; the command registered here lists it in --help (and runs
 * it for `mechcert -- check …`, the one spelling that reaches it through commander).
 */
import type { Command } from 'commander';

/** Runs the checker's command line with `args` (the arguments after `check`); returns its exit code. */
export async function runCheck(args: string[]): Promise<number> {
  const { runCheckCommand } = await import('mechcert-checker/command');
  return runCheckCommand(args, 'mechcert check');
}

export function register(program: Command): void {
  program
    .command('check')
    .description('Re-verify a certificate against a model with the exact checker (exit 0 verified, 1 rejected, 2 usage or I/O error, 3 not decided).')
    .usage('<certificate> --model <model.safetensors> [--json] [--threads N] [--max-work OPS]')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]', 'the arguments of mechcert-check (see mechcert check --help)')
    .action(async (args: string[]) => {
      process.exitCode = await runCheck(args);
    });
}
