/**
 * `writeReport`: proves, checks and measures every (model, strategy) — reusing cached results keyed by the model's
 * SHA-256 and the strategy — and writes the report folder:
 *
 *   report.md       per-group table beside the paper's figures, then the per-model rows, with links to the plots
 *   rows.csv        one row per (model, strategy)
 *   groups.csv      per (K, V, group): mean ± std over models of each model's best bound in the group, and the paper's
 *   report.json     rows, groups and the paper's figures, machine-readable
 *   frontier.svg    normalized bound vs proof length (log), and groups.svg; eqke-<model>.svg per model (≤ maxModelPlots)
 *   *.png           the same pictures rasterised (unless png: false)
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseModel, type Model } from '../model/model.js';
import { writeFileAtomic } from '../util/atomic.js';
import { SweepCache } from '../sweep/cache.js';
import { listStrategies } from './deps.js';
import { floatAccuracy, normalize, runProof, type ProofMetrics, type ReportRow, type TrueAccuracy } from './metrics.js';
import { eqkeRank1 } from './eqke.js';
import { paperFigures, groupRank } from './paper.js';
import { eqkeSpec, frontierSpec, groupsSpec, renderSvg, svgToPng } from './plots.js';
import { summarizeGroups, type GroupSummary } from './summary.js';
import { FLOAT_ESTIMATE_NOTE, groupsCsv, groupsMarkdown, rowsCsv, rowsMarkdown } from './tables.js';

export interface ReportOptions {
  /** Cache folder (default .mechcert-cache). */
  cacheDir?: string;
  /** Threads the prover and checker may use per proof (default 1). */
  threads?: number;
  /** Also rasterise every SVG to PNG (default true). */
  png?: boolean;
  /** Per-model EQKE pictures for at most this many models (default 8). */
  maxModelPlots?: number;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
  /** Title line of report.md. */
  title?: string;
  /** Extra Markdown appended after the summary (e.g. the sweep's wall time and failures). */
  notes?: string;
}

export interface ReportResult {
  rows: ReportRow[];
  groups: GroupSummary[];
  files: string[];
}

/**
 * Resolves strategy names and `*` patterns (e.g. `subcubic/*`) against the registry; undefined or empty means
 * every registered strategy. Unknown names stay in the list (their proofs fail with a clear error).
 */
export async function resolveStrategies(requested: string[] | undefined): Promise<string[]> {
  const all = (await listStrategies()).map((s) => s.name);
  if (!requested || requested.length === 0) return all;
  const out: string[] = [];
  for (const r of requested) {
    if (r.includes('*')) {
      const re = new RegExp(`^${r.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
      for (const n of all) if (re.test(n) && !out.includes(n)) out.push(n);
    } else if (!out.includes(r)) out.push(r);
  }
  return out;
}

/** Proves (or takes from the cache) every (model, strategy) and writes the report; the lead's `main` calls this. */
export async function writeReport(modelPaths: string[], strategies: string[] | undefined, outDir: string, opts: ReportOptions = {}): Promise<ReportResult> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const cache = new SweepCache(opts.cacheDir);
  const names = await resolveStrategies(strategies);
  if (names.length === 0) throw new Error('no strategies to run (none registered, or none matched --strategies)');
  const models = new Map<string, { model: Model; label: string }>();
  const metrics: ProofMetrics[] = [];
  let done = 0;
  const totalJobs = modelPaths.length * names.length;
  for (const path of modelPaths) {
    const bytes = readFileSync(path);
    const model = parseModel(bytes);
    const label = basename(path).replace(/\.safetensors$/, '');
    models.set(model.sha256, { model, label });
    for (const strategy of names) {
      let m = cache.readResult<ProofMetrics>(model.sha256, strategy);
      const cached = m !== undefined;
      if (!m) {
        const run = await runProof(bytes, strategy, { threads: opts.threads ?? 1, modelLabel: label });
        m = run.metrics;
        cache.writeResult(model.sha256, strategy, m);
        if (run.certificateGzip) cache.writeCertificateGzip(model.sha256, strategy, run.certificateGzip);
      }
      m = { ...m, modelLabel: label };
      metrics.push(m);
      done++;
      const what = m.verified ? `bound ${m.bound.decimal}, ${m.checkerOps} ops` : `FAILED: ${m.error}`;
      log(`report: [${done}/${totalJobs}] ${label} ${strategy}: ${what}${cached ? ' (cached)' : ` (prove ${m.proverSeconds.toFixed(2)} s, check ${m.checkerSeconds.toFixed(2)} s)`}`);
    }
  }
  return writeReportFromMetrics(metrics, models, outDir, opts);
}

/** Writes the report folder from metrics already at hand (the sweep's path); `models` supplies normalizers and EQKE. */
export async function writeReportFromMetrics(metrics: ProofMetrics[], models: Map<string, { model: Model; label: string }>, outDir: string, opts: ReportOptions = {}): Promise<ReportResult> {
  const estimates = new Map<string, TrueAccuracy>();
  const estimate = (sha: string): TrueAccuracy => {
    let e = estimates.get(sha);
    if (!e) {
      const m = models.get(sha);
      if (!m) throw new Error(`no model for ${sha} to estimate its accuracy`);
      e = floatAccuracy(m.model);
      estimates.set(sha, e);
    }
    return e;
  };
  const rows = normalize(metrics, estimate).sort((a, b) =>
    a.k - b.k || a.vocab - b.vocab || (a.seed ?? 0) - (b.seed ?? 0) || a.modelLabel.localeCompare(b.modelLabel) || groupRank(a.group) - groupRank(b.group) || a.strategy.localeCompare(b.strategy));
  const groups = summarizeGroups(rows);
  const files: string[] = [];
  const write = (name: string, data: string | Uint8Array) => {
    writeFileAtomic(join(outDir, name), data);
    files.push(join(outDir, name));
  };
  const png = opts.png ?? true;
  const figure = async (name: string, spec: Parameters<typeof renderSvg>[0]) => {
    const svg = await renderSvg(spec);
    write(`${name}.svg`, svg);
    if (png) write(`${name}.png`, svgToPng(svg));
  };

  await figure('frontier', frontierSpec(rows, groups));
  await figure('groups', groupsSpec(rows, groups));
  const eqkeFiles: string[] = [];
  const maxPlots = opts.maxModelPlots ?? 8;
  for (const { model, label } of [...models.values()].slice(0, maxPlots)) {
    const name = `eqke-${label.replace(/[^A-Za-z0-9._-]/g, '_')}`;
    await figure(name, eqkeSpec(label, eqkeRank1(model)));
    eqkeFiles.push(name);
  }

  write('rows.csv', rowsCsv(rows));
  write('groups.csv', groupsCsv(groups));
  const settings = [...new Set(rows.map((r) => `${r.k},${r.vocab}`))].map((s) => s.split(',').map(Number));
  write('report.json', `${JSON.stringify({
    generated: new Date().toISOString(),
    rows,
    groups,
    paper: Object.fromEntries(settings.map(([k, v]) => [`K=${k},V=${v}`, paperFigures(k, v) ?? null])),
  }, null, 2)}\n`);
  write('report.md', markdown(rows, groups, eqkeFiles, png, opts));
  return { rows, groups, files };
}

function markdown(rows: ReportRow[], groups: GroupSummary[], eqkeFiles: string[], png: boolean, opts: ReportOptions): string {
  const models = new Set(rows.map((r) => r.modelSha256)).size;
  const strategies = [...new Set(rows.map((r) => r.strategy))];
  const failed = rows.filter((r) => !r.verified);
  const estimated = rows.some((r) => r.trueAccuracySource !== 'checked brute force');
  const img = (name: string, alt: string) => `![${alt}](${name}.${png ? 'png' : 'svg'}) ([SVG](${name}.svg))`;
  const lines = [
    `# ${opts.title ?? 'mechcert report'}`,
    '',
    `${models} model(s) × ${strategies.length} strateg${strategies.length === 1 ? 'y' : 'ies'} = ${rows.length} proofs; ${rows.length - failed.length} verified by the checker, ${failed.length} not.`,
    'Every bound below is one the exact checker verified (a rejected certificate counts as bound 0). Proof length is the checker\'s count of exact arithmetic operations, not the paper\'s float FLOP count, so the x-axes differ in unit from the paper\'s; unexplained dimension follows PAPER.md §4.',
    '',
    '## Per group, beside the paper',
    '',
    "Per group: each model's best normalized bound in the group, then mean ± sample std over models (the paper's legends do the same over its 151 seeds, with its own, different, models).",
    '',
    groupsMarkdown(groups),
  ];
  if (estimated) lines.push(FLOAT_ESTIMATE_NOTE, '');
  if (opts.notes) lines.push(opts.notes, '');
  lines.push('## Figures', '', img('frontier', 'normalized bound vs proof length'), '', img('groups', 'normalized bound per group'), '');
  for (const f of eqkeFiles) lines.push(img(f, f), '');
  if (failed.length) {
    lines.push('## Failures', '');
    for (const r of failed) lines.push(`- ${r.modelLabel} × ${r.strategy}: ${r.error ?? 'not verified'}`);
    lines.push('');
  }
  lines.push('## Per model and strategy', '', rowsMarkdown(rows));
  return `${lines.join('\n')}\n`;
}
