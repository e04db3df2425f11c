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
 *   certificates/   every certificate reported, and models/ the models they are about (src/report/certificates.ts)
 */
import { basename, join } from 'node:path';
import { printable } from 'mechcert-checker/verdict';
import { parseModel, readModelBytes } from '../model/model.js';
import { writeFileAtomic } from '../util/atomic.js';
import { SweepCache } from '../sweep/cache.js';
import { placeArtifacts, recheckCommand, type ReportModel } from './certificates.js';
import { listStrategies } from './deps.js';
import { floatAccuracy, isNotRun, modelsWithoutCheckedCount, normalize, runProof, type ProofMetrics, type ReportRow, type TrueAccuracy } from './metrics.js';
import { eqkeRank1 } from './eqke.js';
import { paperFigures, groupRank } from './paper.js';
import { eqkeSpec, frontierSpec, groupsSpec, renderSvg, svgToPng } from './plots.js';
import { summarizeGroups, type GroupSummary } from './summary.js';
import { FLOAT_ESTIMATE_NOTE, groupsCsv, groupsMarkdown, rowsCsv, rowsMarkdown, zeroReason } from './tables.js';
import { TERMINAL_WIDTH, elide, truncate } from './text.js';

export interface ReportOptions {
  /** Cache folder (default .mechcert-cache). */
  cacheDir?: string;
  /** Threads the prover and checker may use per proof (default 1). */
  threads?: number;
  /** Also rasterise every SVG to PNG (default true). */
  png?: boolean;
  /** Per-model EQKE pictures for at most this many models (default 8). */
  maxModelPlots?: number;
  /** Progress lines (default: stderrLog). */
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
  /** Per model SHA-256: its copy inside the report folder (models/…), or null where it could not be written. */
  modelFiles: Map<string, string | null>;
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

/** The default progress log: a line on stderr, made printable (it quotes labels and the proofs' errors). */
function stderrLog(line: string): void {
  process.stderr.write(`${printable(line)}\n`);
}

/** Proves (or takes from the cache) every (model, strategy) and writes the report; the lead's `main` calls this. */
export async function writeReport(modelPaths: string[], strategies: string[] | undefined, outDir: string, opts: ReportOptions = {}): Promise<ReportResult> {
  const log = opts.log ?? stderrLog;
  const cache = new SweepCache(opts.cacheDir);
  const names = await resolveStrategies(strategies);
  if (names.length === 0) throw new Error('no strategies to run (none registered, or none matched --strategies)');
  const models = new Map<string, ReportModel>();
  const metrics: ProofMetrics[] = [];
  let done = 0;
  const totalJobs = modelPaths.length * names.length;
  for (const path of modelPaths) {
    const bytes = readModelBytes(path);
    const model = parseModel(bytes);
    // The label is the file's name, untrusted text shown in the terminal, report.md and the SVG plots (an XML parser
    // refuses control characters): made printable once, here.
    const label = printable(basename(path).replace(/\.safetensors$/, ''));
    models.set(model.sha256, { model, label, path });
    for (const strategy of names) {
      // One event-loop turn per proof: proofs and checks may run on this thread, and a Ctrl-C handler waits for a turn.
      await new Promise((resume) => setImmediate(resume));
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
      log(progressLine(`report: [${done}/${totalJobs}] ${label}`, m, cached));
    }
  }
  return writeReportFromMetrics(metrics, models, outDir, opts);
}

/** One progress line of at most TERMINAL_WIDTH columns: the strategy's name is shortened in the middle to fit. */
function progressLine(head: string, m: ProofMetrics, cached: boolean): string {
  const what = m.verified ? `bound ${m.bound.decimal}` : isNotRun(m) ? m.error : `FAILED: ${m.error ?? 'not verified'}`;
  const tail = `: ${what}${cached ? ' (cached)' : ` (${(m.proverSeconds + m.checkerSeconds).toFixed(2)} s)`}`;
  const room = Math.max(24, TERMINAL_WIDTH - head.length - 1 - tail.length);
  return truncate(`${head} ${elide(m.strategy, room)}${tail}`, TERMINAL_WIDTH);
}

/** The float accuracy (metrics.ts floatAccuracy) of every model that has no checked brute-force count. */
async function floatAccuracies(metrics: ProofMetrics[], models: Map<string, ReportModel>, log: (line: string) => void): Promise<Map<string, TrueAccuracy>> {
  const out = new Map<string, TrueAccuracy>();
  for (const sha of modelsWithoutCheckedCount(metrics)) {
    const m = models.get(sha);
    if (!m) throw new Error(`no model for ${sha} to evaluate its accuracy`);
    const t = await floatAccuracy(m.model);
    out.set(sha, t);
    // A model without a recorded accuracy was just evaluated, which can take minutes: say what it gave.
    if (m.model.metadata.accuracy === undefined) log(`report: ${m.label}: normalizer ${t.value} (${t.source}${t.interval ? `, ${Math.round(100 * t.interval.confidence)}% interval [${t.interval.lower}, ${t.interval.upper}]` : ''})`);
  }
  return out;
}

/** Writes the report folder from metrics already at hand (the sweep's path); `models` supplies normalizers and EQKE. */
export async function writeReportFromMetrics(metrics: ProofMetrics[], models: Map<string, ReportModel>, outDir: string, opts: ReportOptions = {}): Promise<ReportResult> {
  const estimates = await floatAccuracies(metrics, models, opts.log ?? stderrLog);
  const estimate = (sha: string): TrueAccuracy => {
    const e = estimates.get(sha);
    if (!e) throw new Error(`no float accuracy for model ${sha}`);
    return e;
  };
  const sorted = normalize(metrics, estimate).sort((a, b) =>
    a.k - b.k || a.vocab - b.vocab || (a.seed ?? 0) - (b.seed ?? 0) || a.modelLabel.localeCompare(b.modelLabel) || groupRank(a.group) - groupRank(b.group) || a.strategy.localeCompare(b.strategy));
  const groups = summarizeGroups(sorted);
  const placed = placeArtifacts(sorted, models, outDir, new SweepCache(opts.cacheDir));
  const rows = placed.rows;
  const files: string[] = [...placed.files];
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
  write('report.md', markdown(rows, groups, eqkeFiles, png, placed.modelFiles, opts));
  return { rows, groups, files, modelFiles: placed.modelFiles };
}

function markdown(rows: ReportRow[], groups: GroupSummary[], eqkeFiles: string[], png: boolean, modelFiles: Map<string, string | null>, opts: ReportOptions): string {
  const models = new Set(rows.map((r) => r.modelSha256)).size;
  const strategies = [...new Set(rows.map((r) => r.strategy))];
  const failed = rows.filter((r) => !r.verified);
  const estimated = rows.some((r) => r.trueAccuracySource !== 'checked brute force');
  const img = (name: string, alt: string) => `![${alt}](${name}.${png ? 'png' : 'svg'}) ([SVG](${name}.svg))`;
  const lines = [
    `# ${opts.title ?? 'mechcert report'}`,
    '',
    `${models} model(s) × ${strategies.length} strateg${strategies.length === 1 ? 'y' : 'ies'} = ${rows.length} proofs; ${rows.length - failed.length} verified by the checker, ${failed.length} not.`,
    'Every bound below is one the exact checker verified (a rejected certificate counts as bound 0). Proof length is the checker\'s count of exact arithmetic operations, not the paper\'s float FLOP count, so the x-axes differ in unit from the paper\'s; unexplained dimension follows the paper (docs/paper.md §6.2 in the mechcert repository).',
    'The certificates are in this folder (certificates/, the models in models/), each with the command that re-checks it: see [Certificates](#certificates).',
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
  lines.push(...zeroSection(rows), '## Per model and strategy', '', rowsMarkdown(rows), ...certificateSection(rows, modelFiles));
  return `${lines.join('\n')}\n`;
}

/** Each bound of 0 with its reason (nothing, where there is none). */
function zeroSection(rows: ReportRow[]): string[] {
  const zeros = rows.filter((r) => r.boundValue === 0);
  if (zeros.length === 0) return [];
  return [
    '## Bounds of 0',
    '',
    'A verified bound of 0 is a certificate the checker accepted that claims no sequence: the strategy proves no case on that model. '
      + "A case counts only where the prover's upper bound on (largest wrong logit − correct logit) is below 0; the closest case shows how far it was.",
    '',
    ...zeros.map((r) => `- ${r.modelLabel} × ${r.strategy}: ${zeroReason(r)}`),
    '',
  ];
}

/** Every row's certificate file and the command that re-checks it, run in the report folder. */
function certificateSection(rows: ReportRow[], modelFiles: Map<string, string | null>): string[] {
  const body = rows.map((r) => {
    const file = r.certificateFile ? `[${r.certificateFile}](${r.certificateFile})` : 'not kept (no checked certificate in the cache)';
    const command = r.certificateFile ? `\`${recheckCommand(r.certificateFile, modelFiles.get(r.modelSha256) ?? null, r.modelSha256).join(' ')}\`` : '—';
    return `| ${[r.modelLabel, r.strategy, r.verified ? r.bound.decimal : 'rejected', file, command].join(' | ')} |`;
  });
  return [
    '',
    '## Certificates',
    '',
    'Each certificate (gzipped JSON, as the checker reads it) and the model it is about are in this folder; the command re-checks it when run here '
      + '(exit 0: verified; the checker prints the bound back as an exact fraction).',
    '',
    '| model | strategy | checked bound | certificate | re-check (run in this folder) |',
    '|---|---|---|---|---|',
    ...body,
  ];
}
