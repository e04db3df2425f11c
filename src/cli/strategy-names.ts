/**
 * `--strategies` of `report` and `sweep`: names and `*` patterns, resolved against the registry before any work, so
 * that a typo is refused in one line (exit code 2) instead of failing its proofs after the training and proving.
 */
import { UsageError } from './errors.js';

/**
 * The strategies that `requested` (names and patterns) names; every registered one when it is undefined or empty.
 * An unknown name, or a pattern that matches nothing, is a UsageError naming it and the closest known name.
 */
export async function resolveStrategiesFlag(requested: string[] | undefined): Promise<string[]> {
  const [{ resolveStrategies }, { listStrategies }] = await Promise.all([import('../report/report.js'), import('../report/deps.js')]);
  const known = (await listStrategies()).map((s) => s.name);
  const items = requested ?? [];
  for (const item of items) {
    const matched = (await resolveStrategies([item])).filter((name) => known.includes(name));
    if (matched.length > 0) continue;
    const what = item.includes('*') ? 'no strategy matches' : 'unknown strategy';
    const near = closest(item, known);
    throw new UsageError(`--strategies: ${what} ${JSON.stringify(item)}${near ? ` (did you mean ${JSON.stringify(near)}?)` : ''}; \`mechcert strategies\` lists all ${known.length}`);
  }
  const names = await resolveStrategies(items);
  if (names.length === 0) throw new UsageError('no strategies to run: none is registered');
  return names;
}

/** The known name within edit distance max(2, a quarter of its length) of `name`, the closest first; or undefined. */
function closest(name: string, known: string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const k of known) {
    const distance = editDistance(name, k);
    if (distance <= Math.max(2, Math.floor(k.length / 4)) && (!best || distance < best.distance)) best = { name: k, distance };
  }
  return best?.name;
}

/** Levenshtein distance (insertions, deletions and substitutions of one character each cost 1). */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}
