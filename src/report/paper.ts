/**
 * The reference paper's published figures (docs/paper.md §6 and §7), to print beside mechcert's own:
 * per-seed values over its 151 seeds, mean ± sample std, best configuration per seed within a subcubic group.
 * The paper's models are different models from mechcert's (PyTorch vs mechcert's own RNG), so the comparison is of
 * distributions, never of seed-by-seed values.
 */

export interface PaperFigure {
  group: string;
  /** Accuracy bound, mean ± std (null where unpublished). */
  bound: [number, number] | null;
  /** Normalized bound (bound ÷ true accuracy), mean ± std. */
  normalized: [number, number] | null;
  /** "FLOPs to verify proof" from the paper's counter (approximate, per strategy); a string because some are ranges. */
  flops: string | null;
  /** Unexplained dimension for V=64, d=32 (a single value or a range). */
  unexplainedDimension: string | null;
  complexity: string | null;
}

/** The paper's group labels, in its legend order (the columns of its published tables). */
export const PAPER_GROUPS = [
  'brute force',
  'cubic',
  'subcubic',
  'attention-V·d²',
  'direct-quadratic',
  'attention-V·d², direct-quadratic',
  'attention-quadratic',
  'attention-quadratic, direct-quadratic',
] as const;

/** The canonical group labels: the paper's, then mechcert's own prefix strategies (SPEC §4.7), which the paper has not. */
export const GROUP_ORDER = [...PAPER_GROUPS, 'mechcert prefix', 'mechcert prefix-output', 'mechcert prefix-budget'] as const;

/**
 * Maps a registry's group spelling to the paper's label: case, spaces, "+" vs "," and "d^2"/"d2"/"d²" and
 * "Vd"/"V·d" variants all name the same group. Unknown groups are returned unchanged.
 */
export function canonicalGroup(group: string): string {
  const key = (s: string) => s.toLowerCase().replace(/brute[-_ ]?force/g, 'bruteforce').replace(/\s+/g, '').replace(/\+/g, ',').replace(/[·*]/g, '').replace(/d\^?2|d²/g, 'd2').replace(/_/g, '-');
  const k = key(group);
  for (const g of GROUP_ORDER) if (key(g) === k) return g;
  return group;
}

export function groupRank(group: string): number {
  const i = (GROUP_ORDER as readonly string[]).indexOf(canonicalGroup(group));
  return i < 0 ? GROUP_ORDER.length : i;
}

/** K=4, V=64 (docs/paper.md §7.1, the headline table). */
export const PAPER_K4_V64: PaperFigure[] = [
  { group: 'brute force', bound: [0.9992, 0.0015], normalized: [1, 0], flops: '≈1.4e14 (inferred)', unexplainedDimension: '2^30 = 1,073,741,824', complexity: 'V^{n+1}·n·d' },
  { group: 'cubic', bound: [0.9531, 0.0087], normalized: [0.9539, 0.008], flops: '≈3.52e7', unexplainedDimension: '12,800', complexity: 'V³n²' },
  { group: 'subcubic', bound: null, normalized: [0.7, 0.036], flops: '≈1.9e6–4.7e6', unexplainedDimension: '4,418–8,384', complexity: 'V²n²+V²d' },
  { group: 'attention-V·d²', bound: null, normalized: [0.675, 0.035], flops: null, unexplainedDimension: '4,290–4,544', complexity: null },
  { group: 'direct-quadratic', bound: null, normalized: [0.633, 0.062], flops: null, unexplainedDimension: '6,466–10,370', complexity: null },
  { group: 'attention-V·d², direct-quadratic', bound: null, normalized: [0.61, 0.06], flops: null, unexplainedDimension: '6,338–6,530', complexity: null },
  { group: 'attention-quadratic', bound: null, normalized: [0.316, 0.037], flops: null, unexplainedDimension: '4,354–4,544', complexity: null },
  { group: 'attention-quadratic, direct-quadratic', bound: null, normalized: [0.283, 0.037], flops: null, unexplainedDimension: '6,402–6,530', complexity: null },
];

/** Normalized bounds for the other settings (docs/paper.md §7.2; brute force there is an importance-sampled estimate). */
const OTHER: Record<string, Array<[number, number]>> = {
  'K=5,V=64': [[0.999, 0.0018], [0.942, 0.01], [0.702, 0.033], [0.682, 0.033], [0.649, 0.055], [0.629, 0.053], [0.354, 0.034], [0.336, 0.033]],
  'K=10,V=64': [[0.9988, 0.0013], [0.915, 0.021], [0.673, 0.03], [0.658, 0.028], [0.64, 0.032], [0.626, 0.031], [0.393, 0.03], [0.391, 0.028]],
  'K=10,V=128': [[0.9972, 0.0031], [0.885, 0.012], [0.613, 0.037], [0.595, 0.035], [0.609, 0.03], [0.596, 0.03], [0.351, 0.029], [0.385, 0.025]],
  'K=20,V=64': [[0.995, 0.015], [0.888, 0.036], [0.563, 0.041], [0.549, 0.041], [0.54, 0.04], [0.528, 0.039], [0.323, 0.035], [0.322, 0.034]],
};

/** The paper's figures for a setting, or undefined where it published none (e.g. K=2, V=4). */
export function paperFigures(k: number, vocab: number): PaperFigure[] | undefined {
  if (k === 4 && vocab === 64) return PAPER_K4_V64;
  const row = OTHER[`K=${k},V=${vocab}`];
  if (!row) return undefined;
  return PAPER_GROUPS.map((group, i) => ({
    group,
    // The first column is the estimated true accuracy, i.e. brute force's bound; its normalized value is 1.
    bound: i === 0 ? row[0] : null,
    normalized: i === 0 ? [1, 0] : row[i],
    flops: null,
    unexplainedDimension: null,
    complexity: null,
  }));
}

/** The paper's 151 seeds (docs/paper.md §3.2): the sweep's default seed set. */
export const PAPER_SEEDS: readonly number[] = [
  50, 104, 123, 519, 742, 913, 1185, 1283, 1412, 1490, 1681, 1696, 1895, 1951, 2236, 2306, 2345, 2549, 2743, 2773, 3175, 3254,
  3284, 4157, 4305, 4430, 4647, 4729, 4800, 4810, 5358, 5615, 5781, 5928, 6082, 6155, 6159, 6204, 6532, 6549, 6589, 6910, 7098,
  7238, 7310, 7467, 7790, 7884, 8048, 8299, 8721, 8745, 8840, 8893, 9132, 9134, 9504, 9816, 10248, 11124, 11130, 11498, 11598,
  11611, 12141, 12287, 12457, 12493, 12552, 12561, 13036, 13293, 13468, 13654, 13716, 14095, 14929, 15043, 15399, 15622, 15662,
  16069, 16149, 16197, 16284, 17080, 17096, 17194, 17197, 18146, 18289, 18668, 19004, 19093, 19451, 19488, 19538, 19917, 20013,
  20294, 20338, 20415, 20539, 20751, 20754, 20976, 21317, 21598, 22261, 22286, 22401, 22545, 23241, 23367, 23447, 23633, 23696,
  24144, 24173, 24202, 24262, 24438, 24566, 25516, 26278, 26374, 26829, 26932, 27300, 27484, 27584, 27671, 27714, 28090, 28716,
  28778, 29022, 29052, 29110, 29195, 29565, 29725, 29726, 30371, 30463, 30684, 30899, 31308, 32103, 32374, 32382,
];
