/**
 * The report's figures, drawn with Vega-Lite (compiled to Vega, rendered server-side to SVG by vega's
 * View.toSVG()) and optionally rasterised to PNG with @resvg/resvg-js:
 *
 * - frontier: normalized bound against proof length (checker operations, log axis), one point per (model,
 *   strategy), with each group's best and the paper's published group means (labelled dashed rules), and a second
 *   panel zoomed onto the subcubic family;
 * - groups: each model's best normalized bound per group, with mean ± std beside the paper's mean ± std;
 * - eqke-<model>: the EQKE heatmap, its rank-1 approximation and the residual (src/report/eqke.ts).
 *
 * Every group has one colour and one marker in every figure and report (GROUP_STYLES).
 */
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { isNotRun, type ReportRow } from './metrics.js';
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

export interface GroupStyle {
  color: string;
  shape: string;
}

/**
 * One colour and one marker per strategy group, the same in every report and plot (a group's colour must not depend
 * on which other groups a report happens to hold). Markers tell apart groups whose colours are close.
 */
export const GROUP_STYLES: Readonly<Record<string, GroupStyle>> = {
  'brute force': { color: '#4d4d4d', shape: 'circle' },
  cubic: { color: '#f58518', shape: 'square' },
  subcubic: { color: '#4c78a8', shape: 'diamond' },
  'attention-V·d²': { color: '#e45756', shape: 'triangle-up' },
  'direct-quadratic': { color: '#54a24b', shape: 'triangle-down' },
  'attention-V·d², direct-quadratic': { color: '#b279a2', shape: 'cross' },
  'attention-quadratic': { color: '#9d755d', shape: 'triangle-right' },
  'attention-quadratic, direct-quadratic': { color: '#17becf', shape: 'triangle-left' },
  // mechcert's own groups: colours and markers no other group (spares included) uses; the markers are SVG paths in
  // Vega's unit square [−1, 1]² (a hexagon, a five-pointed star, a pentagon).
  'mechcert prefix': { color: '#1b9e77', shape: 'M-1,0L-0.5,-0.866L0.5,-0.866L1,0L0.5,0.866L-0.5,0.866Z' },
  'mechcert prefix-output': { color: '#e7298a', shape: 'M0,-1L0.225,-0.309L0.951,-0.309L0.363,0.118L0.588,0.809L0,0.382L-0.588,0.809L-0.363,0.118L-0.951,-0.309L-0.225,-0.309Z' },
  'mechcert prefix-budget': { color: '#7570b3', shape: 'M0,-1L0.951,-0.309L0.588,0.809L-0.588,0.809L-0.951,-0.309Z' },
};

/** Styles for groups outside the paper's legend, picked by a hash of the name (so again the same in every report). */
const SPARE_STYLES: readonly GroupStyle[] = [
  { color: '#bcbd22', shape: 'wedge' },
  { color: '#ff9da6', shape: 'arrow' },
  { color: '#393b79', shape: 'triangle' },
  { color: '#8c6d31', shape: 'square' },
];

export function groupStyle(group: string): GroupStyle {
  const g = canonicalGroup(group);
  const known = GROUP_STYLES[g];
  if (known) return known;
  let h = 0;
  for (const ch of g) h = (h * 31 + ch.codePointAt(0)!) >>> 0;
  return SPARE_STYLES[h % SPARE_STYLES.length];
}

function groupDomain(rows: { group: string }[]): string[] {
  const present = new Set(rows.map((r) => canonicalGroup(r.group)));
  return [...present].sort((a, b) => groupRank(a) - groupRank(b) || a.localeCompare(b));
}

/** Colour and shape by group: one merged legend, fixed styles. */
function groupChannels(domain: string[]) {
  const scale = (pick: (s: GroupStyle) => string) => ({ domain, range: domain.map((g) => pick(groupStyle(g))) });
  return {
    color: { field: 'group', type: 'nominal' as const, title: 'strategy group', scale: scale((s) => s.color) },
    shape: { field: 'group', type: 'nominal' as const, title: 'strategy group', scale: scale((s) => s.shape) },
  };
}

/** [min ÷ pad, max × pad]: a log axis fitted to its points. */
function logDomain(xs: number[], pad: number): [number, number] {
  return [Math.min(...xs) / pad, Math.max(...xs) * pad];
}

/** A value axis fitted to its points, on steps of 0.05, within [0, 1.02]. */
function valueDomain(ys: number[]): [number, number] {
  const lo = Math.max(0, Math.floor((Math.min(...ys) - 0.02) / 0.05) * 0.05);
  const hi = Math.min(1.02, Math.ceil((Math.max(...ys) + 0.02) / 0.05) * 0.05);
  return [lo, Math.max(hi, lo + 0.05)];
}

/**
 * Label positions (values on the y axis) for marks at `ys`, moved apart so that labels `gap` pixels tall do not
 * overlap in a panel `height` pixels tall showing `domain`; returned in the order of `ys`.
 */
export function spreadLabels(ys: number[], domain: [number, number], height: number, gap: number): number[] {
  const [lo, hi] = domain;
  const px = (v: number) => height * (1 - (v - lo) / (hi - lo));
  const order = ys.map((y, i) => ({ i, p: px(y) })).sort((a, b) => a.p - b.p);
  for (let j = 1; j < order.length; j++) order[j].p = Math.max(order[j].p, order[j - 1].p + gap);
  for (let j = order.length - 1; j >= 0; j--) order[j].p = Math.min(order[j].p, j === order.length - 1 ? height : order[j + 1].p - gap);
  const out = new Array<number>(ys.length);
  for (const { i, p } of order) out[i] = lo + (1 - p / height) * (hi - lo);
  return out;
}

interface Panel {
  title: string;
  width: number;
  height: number;
  proofs: Record<string, unknown>[];
  bests: Record<string, unknown>[];
  /** The paper's group means, with labels to the right of the panel. */
  paper: Record<string, unknown>[];
}

const PANEL_HEIGHT = 360;

/** One frontier panel: the paper's labelled means, each proof (hollow where rejected), each group's best. */
function frontierPanel(p: Panel, domain: string[]) {
  const ops = [...p.proofs, ...p.bests].map((d) => d.ops as number);
  const y = { field: 'normalized', type: 'quantitative' as const, title: 'normalized bound (bound ÷ true accuracy)', scale: { domain: valueDomain([...p.proofs, ...p.bests, ...p.paper].map((d) => d.normalized as number)), nice: false, zero: false } };
  const x = { field: 'ops', type: 'quantitative' as const, title: 'proof length (checker arithmetic operations, log scale)', scale: { type: 'log' as const, domain: logDomain(ops, 1.12), nice: false }, axis: { format: '~s', labelOverlap: 'greedy' as const } };
  // The y axis takes in the paper's marks too, so each of them is drawn and labelled.
  const labels = spreadLabels(p.paper.map((d) => d.normalized as number), y.scale.domain, p.height, 11);
  const paper = p.paper.map((d, i) => ({ ...d, labelAt: labels[i] }));
  const { color, shape } = groupChannels(domain);
  const tooltip = [{ field: 'model' }, { field: 'strategy' }, { field: 'ops', format: '.3e' }, { field: 'normalized', format: '.4f' }];
  const point = (filter: string, mark: Record<string, unknown>) => ({ data: { values: p.proofs }, transform: [{ filter }], mark: { type: 'point' as const, size: 55, ...mark }, encoding: { x, y, color, shape, tooltip } });
  return {
    title: p.title,
    width: p.width,
    height: p.height,
    layer: [
      { data: { values: paper }, mark: { type: 'rule' as const, strokeDash: [6, 4], strokeWidth: 1.3, opacity: 0.9 }, encoding: { y, color } },
      { data: { values: paper }, mark: { type: 'rule' as const, strokeWidth: 0.8 }, encoding: { x: { value: p.width }, x2: { value: p.width + 6 }, y, y2: { field: 'labelAt' }, color } },
      { data: { values: paper }, mark: { type: 'text' as const, align: 'left' as const, baseline: 'middle' as const, fontSize: 10, dx: 8 }, encoding: { x: { value: p.width }, y: { ...y, field: 'labelAt' }, text: { field: 'label' }, color } },
      point('datum.verified', { filled: true, opacity: 0.6 }),
      point('!datum.verified', { filled: false, opacity: 0.9 }),
      { data: { values: p.bests }, mark: { type: 'point' as const, filled: true, size: 260, stroke: 'black', strokeWidth: 1.2, opacity: 0.95 }, encoding: { x, y, color, shape, tooltip: [{ field: 'group' }, { field: 'normalized', format: '.4f' }, { field: 'n', title: 'models' }] } },
    ],
  };
}

/** The points of one (K, V) setting: every proof, each group's best (mean over models), the paper's group means. */
function frontierData(rows: ReportRow[], groups: GroupSummary[]) {
  const proofs = rows.filter((r) => r.checkerOps !== null && Number(r.checkerOps) > 0).map((r) => ({
    group: canonicalGroup(r.group), strategy: r.strategy, model: r.modelLabel, ops: Number(r.checkerOps), normalized: r.normalizedBound, verified: r.verified,
  }));
  const bests: Record<string, unknown>[] = [];
  const paper: Record<string, unknown>[] = [];
  for (const g of groups) {
    const perModel = new Map<string, (typeof proofs)[number]>();
    for (const d of proofs.filter((x) => x.group === g.group)) {
      const b = perModel.get(d.model);
      if (!b || d.normalized > b.normalized) perModel.set(d.model, d);
    }
    const mine = [...perModel.values()];
    if (mine.length > 0) bests.push({ group: g.group, ops: Math.exp(mine.reduce((a, d) => a + Math.log(d.ops), 0) / mine.length), normalized: g.normalizedBound.mean, n: g.models });
    const published = paperFigures(g.k, g.vocab)?.find((p) => p.group === g.group)?.normalized;
    if (published) paper.push({ group: g.group, normalized: published[0], label: `paper ${published[0]}` });
  }
  return { proofs, bests, paper };
}

const FAMILY = (group: string) => groupRank(group) >= 2;

/**
 * The frontier figure: normalized bound against proof length (checker operations, log scale), per (K, V) setting
 * one panel with every strategy and, where the subcubic family has points, a second panel zoomed onto them (they
 * share one narrow band of proof lengths). Both axes are fitted to the points.
 */
export function frontierSpec(rows: ReportRow[], groups: GroupSummary[]): TopLevelSpec {
  const domain = groupDomain(rows);
  const settings = [...new Set(rows.map((r) => settingLabel(r.k, r.vocab)))];
  const views = settings.map((setting) => {
    const data = frontierData(rows.filter((r) => settingLabel(r.k, r.vocab) === setting), groups.filter((g) => settingLabel(g.k, g.vocab) === setting));
    const panels = [frontierPanel({ title: `${setting}: every strategy`, width: 420, height: PANEL_HEIGHT, ...data }, domain)];
    const family = { proofs: data.proofs.filter((d) => FAMILY(d.group)), bests: data.bests.filter((d) => FAMILY(d.group as string)), paper: data.paper.filter((d) => FAMILY(d.group as string)) };
    if (family.proofs.length > 0 && family.proofs.length < data.proofs.length) panels.push(frontierPanel({ title: `${setting}: the subcubic family, zoomed`, width: 480, height: PANEL_HEIGHT, ...family }, domain));
    return { hconcat: panels, spacing: 90 };
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: 'Normalized accuracy bound vs proof length',
      subtitle: [
        'small marks: one certificate each (model × strategy), hollow where the checker rejected it;',
        "large outlined marks: each group's best (mean over models); dashed, labelled: the paper's group means",
      ],
    },
    config: CONFIG,
    vconcat: views,
  } as TopLevelSpec;
}

/** Each model's best normalized bound per group, our mean ± std beside the paper's, in the groups' fixed colours. */
export function groupsSpec(rows: ReportRow[], groups: GroupSummary[]): TopLevelSpec {
  const perModel = new Map<string, ReportRow>();
  // A proof its strategy refused to run (brute force beyond its reach) has no bound to draw.
  for (const r of rows.filter((row) => !isNotRun(row))) {
    const key = `${r.k},${r.vocab},${canonicalGroup(r.group)},${r.modelSha256}`;
    const best = perModel.get(key);
    if (!best || r.normalizedBound > best.normalizedBound) perModel.set(key, r);
  }
  const domain = groupDomain(rows);
  const settings = [...new Set(rows.map((r) => settingLabel(r.k, r.vocab)))];
  const values: Record<string, unknown>[] = [];
  // A bar of mean ± std is cut to [0, 1]: no bound lies outside it.
  const bar = (mean: number, std: number) => ({ normalized: mean, lo: Math.max(0, mean - std), hi: Math.min(1, mean + std) });
  // Our mean's label goes above the group's highest model mark as well as its bar, so that no mark hides it.
  const top = new Map<string, number>();
  for (const r of perModel.values()) {
    const key = `${settingLabel(r.k, r.vocab)}|${canonicalGroup(r.group)}`;
    values.push({ layer: 'model', source: 'mechcert', setting: settingLabel(r.k, r.vocab), group: canonicalGroup(r.group), model: r.modelLabel, strategy: r.strategy, normalized: r.normalizedBound });
    top.set(key, Math.max(top.get(key) ?? -Infinity, r.normalizedBound));
  }
  for (const g of groups) {
    const m = g.normalizedBound;
    const setting = settingLabel(g.k, g.vocab);
    if (m.n > 0) {
      const stat = bar(m.mean, m.std);
      values.push({ layer: 'stat', source: 'mechcert', setting, group: g.group, ...stat, labelAt: Math.max(stat.hi, top.get(`${setting}|${g.group}`) ?? stat.hi), label: m.mean.toFixed(3) });
    }
    const p = paperFigures(g.k, g.vocab)?.find((x) => x.group === g.group)?.normalized;
    if (p) values.push({ layer: 'stat', source: 'paper', setting, group: g.group, ...bar(p[0], p[1]), labelAt: bar(p[0], p[1]).hi, label: `paper ${p[0]}` });
  }
  const x = { field: 'group', type: 'nominal' as const, title: null, sort: domain, axis: { labelAngle: -25, labelLimit: 420 } };
  const xOffset = { field: 'source', type: 'nominal' as const, scale: { domain: ['mechcert', 'paper'], paddingInner: 0.2 } };
  const { color, shape } = groupChannels(domain);
  const y = { field: 'normalized', type: 'quantitative' as const, title: 'normalized accuracy bound', scale: { domain: valueDomain(values.flatMap((v) => [v.normalized, v.lo ?? v.normalized, v.hi ?? v.normalized] as number[])), nice: false, zero: false } };
  const stat = (source: string) => `datum.layer === 'stat' && datum.source === '${source}'`;
  const statColor = (source: string) => (source === 'paper' ? { value: '#777' } : { ...color, legend: null });
  const statLayers = (source: string) => [
    { transform: [{ filter: stat(source) }], mark: { type: 'rule' as const, strokeWidth: 2.5, ...(source === 'paper' ? { strokeDash: [4, 2] } : {}) }, encoding: { x, xOffset, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color: statColor(source) } },
    { transform: [{ filter: stat(source) }], mark: { type: 'tick' as const, thickness: 3, size: 16 }, encoding: { x, xOffset, y, color: statColor(source) } },
    { transform: [{ filter: stat(source) }], mark: { type: 'text' as const, baseline: 'bottom' as const, dy: -6, fontSize: 9 }, encoding: { x, xOffset, y: { ...y, field: 'labelAt' }, text: { field: 'label' }, color: statColor(source) } },
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'Normalized accuracy bound per strategy group', subtitle: ["marks: each model's best strategy in the group; left bar: mean ± std over models (mechcert);", "right, grey dashed: the paper's mean ± std over its 151 seeds (its own models)"] },
    config: CONFIG,
    data: { values },
    facet: { column: { field: 'setting', type: 'nominal', title: null, sort: settings } },
    spec: {
      width: Math.max(220, 100 * domain.length),
      height: 320,
      layer: [
        ...statLayers('mechcert'),
        ...statLayers('paper'),
        { transform: [{ filter: "datum.layer === 'model'" }], mark: { type: 'point' as const, filled: true, size: 60, opacity: 0.75 }, encoding: { x, xOffset, y, color: { ...color, legend: null }, shape: { ...shape, legend: null }, tooltip: [{ field: 'model' }, { field: 'strategy' }, { field: 'normalized', format: '.4f' }] } },
      ],
    },
  } as TopLevelSpec;
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

