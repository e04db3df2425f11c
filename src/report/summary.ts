/**
 * Per-group statistics over models, the way the paper's legends compute them (docs/paper.md §5.3.5, §7): within a group,
 * take each model's best normalized bound (and best bound), then mean ± sample std over the models of one (K, V)
 * setting. Failed or rejected proofs count as bound 0, as an unverified claim proves nothing; proofs the strategy
 * refused to run (brute force beyond the sequences it can enumerate) count nowhere, and the group says why.
 */
import { canonicalGroup, groupRank, paperFigures, type PaperFigure } from './paper.js';
import { isNotRun, NOT_RUN, type ReportRow } from './metrics.js';

export interface MeanStd {
  mean: number;
  /** Sample standard deviation (n − 1); 0 for a single value. */
  std: number;
  n: number;
  min: number;
  max: number;
}

export interface GroupSummary {
  k: number;
  vocab: number;
  group: string;
  /** Models with at least one row in this group. */
  models: number;
  /** Strategies of this group that were run. */
  strategies: number;
  /** Rows that the checker did not verify. */
  failures: number;
  /** Why some proofs of the group were not run (e.g. "3 not run: brute force enumerates at most …"), or null. */
  notRun: string | null;
  bound: MeanStd;
  normalizedBound: MeanStd;
  /** Median checker operations of each model's best proof in the group (null if none was checked). */
  medianProofLength: number | null;
  unexplainedDimension: { min: number; max: number } | null;
  meanProverSeconds: number;
  meanCheckerSeconds: number;
  /** Where the normalizers came from, e.g. "checked brute force" (one entry per distinct source). */
  normalizerSources: string[];
  paper: PaperFigure | null;
}

export function meanStd(xs: number[]): MeanStd {
  const n = xs.length;
  if (n === 0) return { mean: NaN, std: NaN, n: 0, min: NaN, max: NaN };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, std: Math.sqrt(variance), n, min: Math.min(...xs), max: Math.max(...xs) };
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function summarizeGroups(rows: ReportRow[]): GroupSummary[] {
  const bySetting = new Map<string, ReportRow[]>();
  for (const r of rows) {
    const key = `${r.k},${r.vocab}`;
    const list = bySetting.get(key) ?? [];
    list.push(r);
    bySetting.set(key, list);
  }
  const out: GroupSummary[] = [];
  for (const list of bySetting.values()) {
    const { k, vocab } = list[0];
    const paper = paperFigures(k, vocab);
    const groups = new Map<string, ReportRow[]>();
    for (const r of list) {
      const g = canonicalGroup(r.group);
      groups.set(g, [...(groups.get(g) ?? []), r]);
    }
    for (const [group, all] of groups) {
      const grows = all.filter((r) => !isNotRun(r));
      const refused = all.filter(isNotRun);
      const perModel = new Map<string, ReportRow>();
      for (const r of grows) {
        const best = perModel.get(r.modelSha256);
        if (!best || r.normalizedBound > best.normalizedBound) perModel.set(r.modelSha256, r);
      }
      const bests = [...perModel.values()];
      const dims = grows.map((r) => r.unexplainedDimension).filter((x): x is number => x !== null);
      out.push({
        k, vocab, group,
        models: perModel.size,
        strategies: new Set(all.map((r) => r.strategy)).size,
        failures: grows.filter((r) => !r.verified).length,
        notRun: refused.length > 0 ? `${refused.length} not run: ${refused[0].error?.slice(NOT_RUN.length)}` : null,
        bound: meanStd(bests.map((r) => r.boundValue)),
        normalizedBound: meanStd(bests.map((r) => r.normalizedBound)),
        medianProofLength: median(bests.filter((r) => r.checkerOps !== null).map((r) => Number(r.checkerOps))),
        unexplainedDimension: dims.length ? { min: Math.min(...dims), max: Math.max(...dims) } : null,
        meanProverSeconds: meanStd(grows.map((r) => r.proverSeconds)).mean,
        meanCheckerSeconds: meanStd(grows.map((r) => r.checkerSeconds)).mean,
        normalizerSources: [...new Set(bests.map((r) => r.trueAccuracySource))],
        paper: paper?.find((p) => p.group === group) ?? null,
      });
    }
  }
  out.sort((a, b) => a.k - b.k || a.vocab - b.vocab || groupRank(a.group) - groupRank(b.group) || a.group.localeCompare(b.group));
  return out;
}
