/**
 * `--backend cpu|webgpu|auto` for every command that takes it: the flag's text, its parsing, and opening the chosen
 * backend with what was chosen logged to stderr. An unknown name or an unavailable backend is the user's mistake
 * (one line, exit code 2), never a stack trace. The backends themselves (src/backend/index.ts) are loaded only when a
 * command parses the flag, not when the flag is registered.
 */
import { BACKEND_CHOICES, BackendUnavailableError, type Backend, type BackendChoice } from '../backend/registry.js';
import { UsageError } from './errors.js';

export const BACKEND_FLAG_HELP = `compute backend (${BACKEND_CHOICES.join(', ')}; auto = a hardware GPU if one exists, else cpu)`;

export async function parseBackendFlag(raw: string): Promise<BackendChoice> {
  const { parseBackendChoice } = await import('../backend/index.js');
  try {
    return parseBackendChoice(raw);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Opens the backend `choice` names; the caller disposes it. `command` prefixes the log lines. */
export async function openBackendFlag(choice: BackendChoice, command: string): Promise<Backend> {
  const { createBackendRegistry } = await import('../backend/index.js');
  try {
    return await createBackendRegistry().open(choice, { log: (line) => process.stderr.write(`${command}: ${line}\n`) });
  } catch (e) {
    if (e instanceof BackendUnavailableError) throw new UsageError(`--backend ${choice}: ${e.reason}`);
    throw e;
  }
}
