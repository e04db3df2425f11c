/**
 * The report's figures, drawn with Vega-Lite (compiled to Vega, rendered server-side to SVG by vega's
 * View.toSVG()) and optionally rasterised to PNG with @resvg/resvg-js:
 *
 * - frontier: normalized bound against proof length (checker operations, log axis), one point per (model,
 *   strategy), coloured by group, with each group's mean and the paper's published group means (dashed rules);
 * - groups: each model's best normalized bound per group, with mean ± std beside the paper's mean ± std;
 * - eqke-<model>: the EQKE heatmap, its rank-1 approximation and the residual (src/report/eqke.ts).
 */
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { ReportRow } from './metrics.js';
import { canonicalGroup, groupRank, paperFigures } from './paper.js';
import type { GroupSummary } from './summary.js';
import type { Rank1 } from './eqke.js';

const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const CONFIG = {
  font: FONT,
  view: { stroke: '#ccc' },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 420 },
  title: { fontSize: 14, anchor: 'start' as const },
};

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vgSpec = compile(spec).spec;
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises an SVG (for looking at it, or for documents that want PNG). */
export function svgToPng(svg: string, scale = 1.5): Buffer {
  const r = new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' }, fitTo: { mode: 'zoom', value: scale }, background: 'white' });
  return r.render().asPng();
}

function settingLabel(k: number, vocab: number): string {
  return `K=${k}, V=${vocab}`;
}

function groupDomain(rows: { group: string }[]): string[] {
  const present = new Set(rows.map((r) => canonicalGroup(r.group)));
  return [...present].sort((a, b) => groupRank(a) - groupRank(b) || a.localeCompare(b));
}

/** The frontier figure: normalized bound vs proof length (checker operations, log scale). */
export function frontierSpec(rows: ReportRow[], groups: GroupSummary[]): TopLevelSpec {
  const checked = rows.filter((r) => r.checkerOps !== null && Number(r.checkerOps) > 0);
  const domain = groupDomain(rows);
  const settings = [...new Set(rows.map((r) => settingLabel(r.k, r.vocab)))];
  const values: Record<string, unknown>[] = [];
  for (const r of checked) {
    values.push({ layer: 'proof', setting: settingLabel(r.k, r.vocab), group: canonicalGroup(r.group), strategy: r.strategy, model: r.modelLabel, ops: Number(r.checkerOps), normalized: r.normalizedBound, verified: r.verified ? 'checked' : 'rejected (bound 0)' });
  }
  for (const g of groups) {
    const mine = checked.filter((r) => r.k === g.k && r.vocab === g.vocab && canonicalGroup(r.group) === g.group);
    if (mine.length === 0) continue;
    const meanOps = Math.exp(mine.reduce((a, r) => a + Math.log(Number(r.checkerOps)), 0) / mine.length);
    values.push({ layer: 'mean', setting: settingLabel(g.k, g.vocab), group: g.group, ops: meanOps, normalized: g.normalizedBound.mean, n: g.models });
    const paper = paperFigures(g.k, g.vocab)?.find((p) => p.group === g.group);
    if (paper?.normalized) values.push({ layer: 'paper', setting: settingLabel(g.k, g.vocab), group: g.group, normalized: paper.normalized[0] });
  }
  const color = { field: 'group', type: 'nominal' as const, title: 'strategy group', scale: { domain } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'Normalized accuracy bound vs proof length', subtitle: ['each point: one checked certificate (model × strategy); ◆ group mean over models (geometric mean of proof length);', "dashed: the paper's published group mean (151 seeds, its own models)"] },
    config: CONFIG,
    data: { values },
    facet: { column: { field: 'setting', type: 'nominal', title: null, sort: settings } },
    spec: {
      width: 520,
      height: 340,
      layer: [
        {
          transform: [{ filter: "datum.layer === 'paper'" }],
          mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 1.5, opacity: 0.8 },
          encoding: { y: { field: 'normalized', type: 'quantitative' }, color },
        },
        {
          transform: [{ filter: "datum.layer === 'proof'" }],
          mark: { type: 'point', filled: true, size: 36, opacity: 0.55 },
          encoding: {
            x: { field: 'ops', type: 'quantitative', scale: { type: 'log' }, title: 'proof length (checker arithmetic operations, log scale)', axis: { format: '.0e' } },
            y: { field: 'normalized', type: 'quantitative', title: 'normalized accuracy bound (bound ÷ true accuracy)', scale: { domain: [0, 1.02], nice: false } },
            color,
            shape: { field: 'verified', type: 'nominal', title: 'checker', scale: { domain: ['checked', 'rejected (bound 0)'], range: ['circle', 'cross'] } },
            tooltip: [{ field: 'model' }, { field: 'strategy' }, { field: 'ops', format: '.3e' }, { field: 'normalized', format: '.4f' }],
          },
        },
        {
          transform: [{ filter: "datum.layer === 'mean'" }],
          mark: { type: 'point', shape: 'diamond', filled: true, size: 220, stroke: 'black', strokeWidth: 1, opacity: 0.9 },
          encoding: { x: { field: 'ops', type: 'quantitative', scale: { type: 'log' } }, y: { field: 'normalized', type: 'quantitative' }, color },
        },
      ],
    },
    resolve: { scale: { x: 'independent' } },
  };
}

/** Each model's best normalized bound per group, our mean ± std beside the paper's. */
export function groupsSpec(rows: ReportRow[], groups: GroupSummary[]): TopLevelSpec {
  const perModel = new Map<string, ReportRow>();
  for (const r of rows) {
    const key = `${r.k},${r.vocab},${canonicalGroup(r.group)},${r.modelSha256}`;
    const best = perModel.get(key);
    if (!best || r.normalizedBound > best.normalizedBound) perModel.set(key, r);
  }
  const domain = groupDomain(rows);
  const settings = [...new Set(rows.map((r) => settingLabel(r.k, r.vocab)))];
  const values: Record<string, unknown>[] = [];
  for (const r of perModel.values()) values.push({ layer: 'model', source: 'mechcert', setting: settingLabel(r.k, r.vocab), group: canonicalGroup(r.group), model: r.modelLabel, strategy: r.strategy, normalized: r.normalizedBound });
  for (const g of groups) {
    if (g.normalizedBound.n > 0) values.push({ layer: 'stat', source: `mechcert (mean ± std)`, setting: settingLabel(g.k, g.vocab), group: g.group, normalized: g.normalizedBound.mean, lo: g.normalizedBound.mean - g.normalizedBound.std, hi: g.normalizedBound.mean + g.normalizedBound.std });
    const p = paperFigures(g.k, g.vocab)?.find((x) => x.group === g.group)?.normalized;
    if (p) values.push({ layer: 'stat', source: 'paper (mean ± std, 151 seeds)', setting: settingLabel(g.k, g.vocab), group: g.group, normalized: p[0], lo: p[0] - p[1], hi: p[0] + p[1] });
  }
  const sources = ['mechcert', 'mechcert (mean ± std)', 'paper (mean ± std, 151 seeds)'];
  const x = { field: 'group', type: 'nominal' as const, title: null, sort: domain, axis: { labelAngle: -25, labelLimit: 420 } };
  const xOffset = { field: 'source', type: 'nominal' as const, scale: { domain: sources, paddingInner: 0.1 } };
  const color = { field: 'source', type: 'nominal' as const, title: null, scale: { domain: sources, range: ['#4c78a8', '#1f3b5a', '#e45756'] } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'Normalized accuracy bound per strategy group', subtitle: ["dots: each model's best strategy in the group; bars: mean ± std over models, mechcert beside the paper"] },
    config: CONFIG,
    data: { values },
    facet: { column: { field: 'setting', type: 'nominal', title: null, sort: settings } },
    spec: {
      width: Math.max(220, 110 * domain.length),
      height: 320,
      layer: [
        {
          transform: [{ filter: "datum.layer === 'model'" }],
          mark: { type: 'point', filled: true, size: 30, opacity: 0.6 },
          encoding: { x, xOffset, y: { field: 'normalized', type: 'quantitative', title: 'normalized accuracy bound', scale: { domain: [0, 1.02], nice: false } }, color, tooltip: [{ field: 'model' }, { field: 'strategy' }, { field: 'normalized', format: '.4f' }] },
        },
        {
          transform: [{ filter: "datum.layer === 'stat'" }],
          mark: { type: 'rule', strokeWidth: 2.5 },
          encoding: { x, xOffset, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color },
        },
        {
          transform: [{ filter: "datum.layer === 'stat'" }],
          mark: { type: 'tick', thickness: 3, size: 14 },
          encoding: { x, xOffset, y: { field: 'normalized', type: 'quantitative' }, color },
        },
      ],
    },
  };
}

/** EQKE, its rank-1 approximation and the residual, as three heatmaps with a shared diverging colour scale each. */
export function eqkeSpec(modelLabel: string, r: Rank1): TopLevelSpec {
  const V = r.V;
  const values: Record<string, unknown>[] = [];
  const panels: Array<[string, Float64Array]> = [
    ['EQKE', r.eqke],
    [`rank-1 approximation σ₁uvᵀ (σ₁ = ${r.sigma1.toFixed(1)})`, r.approximation],
    [`residual (‖R‖F/‖EQKE‖F = ${(r.residualFrobenius / r.frobenius).toFixed(3)}, σ₂ = ${r.sigma2.toFixed(2)})`, r.residual],
  ];
  for (const [panel, m] of panels) {
    for (let q = 0; q < V; q++) for (let k = 0; k < V; k++) values.push({ panel, q, k, v: Math.round(m[q * V + k] * 1e4) / 1e4 });
  }
  const cell = Math.max(3, Math.min(6, Math.floor(384 / V)));
  const side = cell * V;
  const heat = (panel: string, title: string) => ({
    transform: [{ filter: { field: 'panel', equal: panel } }],
    title,
    width: side,
    height: side,
    mark: { type: 'rect' as const },
    encoding: {
      x: { field: 'k', type: 'ordinal' as const, title: 'key token', axis: { values: ticks(V), labelAngle: 0 } },
      y: { field: 'q', type: 'ordinal' as const, title: 'query token', axis: { values: ticks(V) } },
      color: { field: 'v', type: 'quantitative' as const, title: null, scale: { scheme: 'redblue', reverse: true, domainMid: 0 }, legend: { orient: 'bottom' as const, gradientLength: side, direction: 'horizontal' as const } },
    },
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: `EQKE of ${modelLabel}`, subtitle: ['(E + P[K−1]) W_Q W_Kᵀ Eᵀ: attention score of a key token (column) for a query token (row); float64, a picture, not a proof'] },
    config: CONFIG,
    data: { values },
    hconcat: panels.map(([p]) => heat(p, p)),
    resolve: { scale: { color: 'independent' } },
  };
}

function ticks(V: number): number[] {
  const step = V <= 8 ? 1 : V <= 32 ? 4 : V <= 128 ? 8 : 64;
  const out: number[] = [];
  for (let i = 0; i < V; i += step) out.push(i);
  return out;
}

