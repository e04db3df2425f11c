/**
 * `npm run bench [-- filter]`: runs every `bench/*.bench.ts` module's benches (or those whose name contains the
 * filter) and prints medians. Benchmarks report figures; they never pass or fail.
 */
import { readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { median, type Bench } from './harness.js';

const filter = process.argv[2] ?? '';
const dir = new URL('.', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort();
const rows: Array<Record<string, string | number>> = [];
for (const file of files) {
  const mod = (await import(new URL(file, dir).href)) as { benches: Bench[] };
  for (const bench of mod.benches) {
    if (!bench.name.includes(filter)) continue;
    const repeats = bench.repeats ?? 3;
    const walls: number[] = [];
    const figures = new Map<string, number[]>();
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      const out = await bench.run();
      walls.push((performance.now() - t0) / 1000);
      for (const [k, v] of Object.entries(out ?? {})) figures.set(k, [...(figures.get(k) ?? []), v]);
    }
    const row: Record<string, string | number> = { bench: bench.name, repeats, 'median wall s': +median(walls).toFixed(3) };
    for (const [k, v] of figures) row[k] = +median(v).toPrecision(4);
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}
if (rows.length === 0) console.log(`no benchmark matches ${JSON.stringify(filter)}`);
