/** `mechcert strategies [--json]`: every registered proof strategy with its name, group and complexity. */
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('strategies')
    .description('List the proof strategies: name, group and complexity.')
    .option('--json', 'print a JSON array')
    .action(async (opts: { json?: boolean }) => {
      const { listStrategies } = await import('../../prove/registry.js');
      const all = await listStrategies();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(all.map(({ name, group, complexity, description }) => ({ name, group, complexity, description })))}\n`);
        return;
      }
      const rows = [['name', 'group', 'complexity'], ...all.map((s) => [s.name, s.group, s.complexity])];
      const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
      for (const r of rows) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()}\n`);
    });
}
