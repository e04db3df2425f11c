/**
 * Option defaults that are costly to compute (the sweep cache's code fingerprint walks the prover's sources; the
 * BullMQ queue name lives beside bullmq; the training recipe beside the trainer). Commands register such options at
 * once, so that `mechcert --help` lists every command, but their defaults are resolved only for the command that runs
 * (or whose help is shown): main.ts calls resolveLazyDefaults on it before parsing. Help and behaviour are as if the
 * default had been given to commander directly.
 */
import type { Command, Option } from 'commander';

const pending = new WeakMap<Command, Array<() => Promise<void>>>();

/** Adds `option` to `command` with the default `load()` returns, computed only by resolveLazyDefaults(command). */
export function addLazyDefaultOption(command: Command, option: Option, load: () => Promise<string>): Command {
  command.addOption(option);
  const list = pending.get(command) ?? [];
  list.push(async () => {
    const value = await load();
    option.default(value);
    command.setOptionValueWithSource(option.attributeName(), value, 'default');
  });
  pending.set(command, list);
  return command;
}

/** Computes the lazy defaults of `command` (once). */
export async function resolveLazyDefaults(command: Command): Promise<void> {
  const list = pending.get(command) ?? [];
  pending.delete(command);
  for (const resolve of list) await resolve();
}

/** The sweep cache's default folder (src/sweep/cache.ts computes its code fingerprint when loaded). */
export async function defaultCacheDir(): Promise<string> {
  return (await import('../sweep/cache.js')).DEFAULT_CACHE_DIR;
}

/** The BullMQ queue name `sweep --redis` and `worker` share (src/sweep/queue.ts, which loads bullmq). */
export async function defaultQueue(): Promise<string> {
  return (await import('../sweep/queue.js')).DEFAULT_QUEUE;
}

/**
 * The subcommand that `args` (process.argv after the script) runs or asks help for: the first operand, or the one
 * after `help`. The program's own options (--help, --version) take no value, so the first operand is the command.
 */
export function selectedCommand(program: Command, args: string[]): Command | undefined {
  const operands = args.filter((a) => !a.startsWith('-'));
  const name = operands[0] === 'help' ? operands[1] : operands[0];
  if (name === undefined) return undefined;
  return program.commands.find((c) => c.name() === name || c.aliases().includes(name));
}
