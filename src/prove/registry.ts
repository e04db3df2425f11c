/**
 * The registry of proof strategies: the built-in families, registered on first use (each a lazy import, so that
 * importing this module stays cheap), and any a caller adds. The contract a strategy implements is in strategy.ts,
 * which the strategies import; this module imports them, so the two directions never meet.
 */
import type { Strategy } from './strategy.js';

const registry = new Map<string, Strategy>();

/** Adds strategies to the registry; a duplicate name is a programming error. */
export function registerStrategies(strategies: Iterable<Strategy>): void {
  for (const s of strategies) {
    if (registry.has(s.name)) throw new Error(`strategy ${s.name} is registered twice`);
    registry.set(s.name, s);
  }
}

let builtinsLoaded = false;

/** Registers the built-in strategies once (lazily, so that importing this module stays cheap). */
async function loadBuiltins(): Promise<void> {
  if (builtinsLoaded) return;
  builtinsLoaded = true;
  const [{ bruteForce }, { cubic }] = await Promise.all([import('./brute-force.js'), import('./cubic.js')]);
  registerStrategies([bruteForce, cubic]);
  registerStrategies((await import('./subcubic/index.js')).subcubicStrategies);
  registerStrategies((await import('./prefix.js')).prefixStrategies);
  // Further families register the same way: one lazy import and one registerStrategies call each.
}

/** Every registered strategy, in registration order. */
export async function listStrategies(): Promise<Strategy[]> {
  await loadBuiltins();
  return [...registry.values()];
}

export async function getStrategy(name: string): Promise<Strategy | undefined> {
  await loadBuiltins();
  return registry.get(name);
}
