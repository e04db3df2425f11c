/**
 * The report's figures (src/report/plots.ts) on synthetic K=4, V=64 rows: one colour and marker per group whatever
 * else a report holds, axes fitted to the points, the subcubic family zoomed in its own panel, the paper's reference
 * marks labelled, and labels kept apart.
 */
import { describe, expect, it } from 'vitest';
import { normalize, NOT_RUN, type ReportRow } from '../../src/report/metrics.js';
import { frontierSpec, GROUP_STYLES, groupsSpec, groupStyle, renderSvg, spreadLabels } from '../../src/report/plots.js';
import { summarizeGroups } from '../../src/report/summary.js';
import { syntheticRow } from './synthetic.js';

const TOTAL = 64n ** 4n;
function rows(groups: Array<[string, string, number, number]>): ReportRow[] {
  const metrics = groups.map(([strategy, group, fraction, ops]) => syntheticRow({
    sha: 'a'.repeat(64), label: 'm', seed: 1, k: 4, vocab: 64, strategy, group, correct: (TOTAL * BigInt(Math.round(fraction * 1e6))) / 1_000_000n, ops,
  }));
  return normalize(metrics, () => { throw new Error('brute force is there'); });
}

const ALL = rows([
  ['brute-force', 'brute force', 0.9995, 1e9],
  ['cubic', 'cubic', 0.994, 1.7e7],
  ['subcubic/a/b/c', 'subcubic', 0.85, 1.6e6],
  ['subcubic/a/b/d', 'attention-V·d²', 0.83, 1.7e6],
  ['subcubic/a/b/e', 'attention-quadratic', 0.44, 1.2e6],
  ['subcubic/a/b/f', 'attention-quadratic, direct-quadratic', 0, 8.7e5],
]);
const FEW = rows([['brute-force', 'brute force', 0.9995, 1e9], ['cubic', 'cubic', 0.994, 1.7e7], ['subcubic/a/b/e', 'attention-quadratic', 0.44, 1.2e6]]);

/** Every (group → colour, group → shape) pair the spec's scales assign. */
function styles(spec: unknown): Set<string> {
  const out = new Set<string>();
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object') {
      const o = x as Record<string, unknown>;
      const scale = o.scale as { domain?: unknown[]; range?: unknown[] } | undefined;
      if (o.field === 'group' && (o.title === 'strategy group') && scale?.domain && scale.range) scale.domain.forEach((g, i) => out.add(`${String(g)} → ${String(scale.range![i])}`));
      Object.values(o).forEach(walk);
    }
  };
  walk(spec);
  return out;
}

describe('figures', () => {
  it('give each group one colour and one marker, whichever groups a report holds', () => {
    const cubic = [`cubic → ${GROUP_STYLES.cubic.color}`, `cubic → ${GROUP_STYLES.cubic.shape}`];
    for (const spec of [frontierSpec(ALL, summarizeGroups(ALL)), frontierSpec(FEW, summarizeGroups(FEW)), groupsSpec(FEW, summarizeGroups(FEW))]) {
      expect([...styles(spec)]).toEqual(expect.arrayContaining(cubic));
    }
    const colours = Object.values(GROUP_STYLES).map((s) => s.color);
    expect(new Set(colours).size).toBe(colours.length);
    expect(groupStyle('a new family')).toEqual(groupStyle('a new family'));
    expect(groupStyle('Attention-Vd^2')).toEqual(GROUP_STYLES['attention-V·d²']);
  });

  it('fit the proof-length axis to the points and zoom onto the subcubic family', () => {
    const views = (frontierSpec(ALL, summarizeGroups(ALL)) as unknown as { vconcat: Array<{ hconcat: Array<{ title: string; layer: Array<{ encoding: { x?: { scale?: { domain?: number[] } } } }> }> }> }).vconcat;
    const [overview, zoom] = views[0].hconcat;
    const domain = (panel: typeof overview) => panel.layer.map((l) => l.encoding.x?.scale?.domain).find(Boolean)!;
    expect(domain(overview)[0]).toBeGreaterThan(8.7e5 / 1.2);
    expect(domain(overview)[1]).toBeLessThan(1e9 * 1.2);
    expect(zoom.title).toContain('subcubic family');
    expect(domain(zoom)[0]).toBeGreaterThan(8.7e5 / 1.2);
    expect(domain(zoom)[1]).toBeLessThan(1.7e6 * 1.2);
  });

  it("label the paper's reference marks", async () => {
    const svg = await renderSvg(frontierSpec(ALL, summarizeGroups(ALL)));
    for (const label of ['paper 1', 'paper 0.9539', 'paper 0.7', 'paper 0.675', 'paper 0.316', 'paper 0.283']) expect(svg).toContain(`>${label}</text>`);
    expect(await renderSvg(groupsSpec(ALL, summarizeGroups(ALL)))).toContain('>paper 0.9539</text>');
  });

  it('keep labels at least a label apart inside the panel', () => {
    const ys = [0.7, 0.675, 0.633, 0.61, 0.316, 0.283, 1, 0.9539];
    const at = spreadLabels(ys, [0, 1.02], 360, 11);
    const px = at.map((v) => 360 * (1 - v / 1.02)).sort((a, b) => a - b);
    for (let i = 1; i < px.length; i++) expect(px[i] - px[i - 1]).toBeGreaterThanOrEqual(11 - 1e-9);
    expect(Math.min(...px)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...px)).toBeLessThanOrEqual(360);
  });

  it('draw no mark for a proof its strategy refused to run (brute force beyond its reach)', () => {
    const notRun = { ...ALL[0], verified: false, error: `${NOT_RUN}brute force enumerates at most 2^31 sequences`, normalizedBound: 0 };
    const withNotRun = [notRun, ...ALL.slice(1)];
    const values = (groupsSpec(withNotRun, summarizeGroups(withNotRun)) as unknown as { data: { values: Array<{ layer: string; group: string }> } }).data.values;
    expect(values.filter((v) => v.layer === 'model' && v.group === 'brute force')).toEqual([]);
    expect(values.filter((v) => v.layer === 'model' && v.group === 'cubic')).toHaveLength(1);
  });
});
