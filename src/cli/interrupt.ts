/**
 * Ctrl-C (SIGINT) during a long command: instead of dying silently, the command says what the interruption leaves
 * behind (what was saved, what was not written, how to resume), then ends as an interrupted process does: killed by
 * SIGINT, which a shell reports as exit status 130 (128 + 2), so that a shell loop or script running the command stops
 * too. Outputs are written atomically (src/util/atomic.ts): a file is either whole or absent.
 *
 * A JavaScript handler runs only when the event loop turns: work that keeps the main thread busy must yield to it
 * (src/train/train.ts trainOnBackend does), or the message comes when that work ends.
 */

/**
 * Calls `handler` on each SIGINT until the returned function is called. That function lets the event loop turn once
 * before it removes the handler: a SIGINT that came while synchronous work held the main thread is answered then,
 * instead of being dropped (and the command going on as if no Ctrl-C had been pressed).
 */
export function onInterrupt(handler: () => void): () => Promise<void> {
  process.on('SIGINT', handler);
  return async () => {
    await new Promise((resume) => setImmediate(resume));
    process.off('SIGINT', handler);
  };
}

/**
 * Prints `lines` on stderr, each prefixed with `command: ` (on a terminal, after a line break that ends the `^C` and
 * any progress bar), and ends the process by SIGINT.
 */
export function exitInterrupted(command: string, lines: string[]): never {
  const start = process.stderr.isTTY === true ? '\n' : '';
  process.stderr.write(`${start}${lines.map((line) => `${command}: ${line}\n`).join('')}`);
  // With no listener left, SIGINT takes its default action again: the process ends before kill returns.
  process.removeAllListeners('SIGINT');
  process.kill(process.pid, 'SIGINT');
  // Not reached unless the signal is blocked; exit with the status a shell would show.
  process.exit(130);
}
