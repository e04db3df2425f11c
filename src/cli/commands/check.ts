/**
 * `mechcert check <cert> --model <model> [--json] [--threads N] [--max-work OPS]`: the built checker package's own
 * command (mechcert-checker's runCheckCommand), so that it prints the same bytes and exits with the same codes as the
 * standalone `mechcert-check`: 0 verified, 1 rejected, 2 usage or I/O error, 3 not decided here.
 */
import type { Command } from 'commander';

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
      const { runCheckCommand } = await import('mechcert-checker/command');
      process.exitCode = await runCheckCommand(args, 'mechcert check');
    });
}
