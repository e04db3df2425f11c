/**
 * The 100 subcubic variants of the paper (docs/paper.md §5.3.2): 5 direct-path (EUPU) options × 2 attention handlings × 10
 * attention-error bounds, named `subcubic/<direct>/<attention>/<error>`, with the paper's plot group (§5.3.5 there), its
 * leading-complexity tag and the unexplained dimension (§6.2 there).
 */

export const EU_OPTIONS = ['mean_query+max_diff', 'svd_query+max_diff', 'max_diff', 'max_diff_exact', 'global_max_diff_exact'] as const;
export const ATTENTION_OPTIONS = ['mean_query+diff', 'drop_average_query_per_output_logit_reasoning'] as const;
export const ERROR_OPTIONS = [
  'svd', 'max_diff', 'mean+max_diff', 'max_diff_subproduct', 'mean+max_diff_subproduct',
  'max_diff_subproduct_recursive', 'mean+max_diff_subproduct_recursive', 'mean_recursive+max_diff_subproduct_recursive',
  'max_diff_exact', 'exact_EQKE+max_diff_exact',
] as const;

export type EuOption = (typeof EU_OPTIONS)[number];
export type AttentionOption = (typeof ATTENTION_OPTIONS)[number];
export type ErrorOption = (typeof ERROR_OPTIONS)[number];

export interface Variant {
  eu: EuOption;
  attention: AttentionOption;
  error: ErrorOption;
}

export const variantName = (v: Variant): string => `subcubic/${v.eu}/${v.attention}/${v.error}`;

export const ALL_VARIANTS: Variant[] = EU_OPTIONS.flatMap((eu) => ATTENTION_OPTIONS.flatMap((attention) => ERROR_OPTIONS.map((error) => ({ eu, attention, error }))));

export function parseVariant(name: string): Variant | undefined {
  return ALL_VARIANTS.find((v) => variantName(v) === name);
}

const euExact = (v: Variant) => v.eu === 'max_diff_exact' || v.eu === 'global_max_diff_exact';
const errExact = (v: Variant) => v.error === 'max_diff_exact' || v.error === 'exact_EQKE+max_diff_exact';
const errRecursive = (v: Variant) => v.error.endsWith('_recursive');

/** The paper's group label (docs/paper.md §5.3.5). */
export function variantGroup(v: Variant): string {
  const attn = errExact(v) ? '' : errRecursive(v) ? 'attention-quadratic' : 'attention-V·d²';
  const direct = euExact(v) ? '' : 'direct-quadratic';
  return [attn, direct].filter(Boolean).join(', ') || 'subcubic';
}

/** The paper's leading-complexity tag (`leading_complexity_df`). */
export function complexityTag(v: Variant): string {
  if (!euExact(v) && errRecursive(v)) return 'almost-quadratic';
  if (!euExact(v) && !errExact(v)) return 'vocab-model-squared';
  return 'subcubic';
}

/** Leading cost of checking: EVOU (V²d) always; EU and EQKE exact add V²d; Vd² for SVD/subproduct errors. */
export function variantComplexity(v: Variant): string {
  const terms = ['V²K²', 'V²d'];
  if (!errExact(v) && !errRecursive(v)) terms.push('Vd²');
  return terms.join(' + ');
}

/** Unexplained dimension (docs/paper.md §6.2): ED_EUPU + ED_attnerr + V (PVOU) + V² (EVOU). */
export function unexplainedDimension(v: Variant, V: number, d: number): number {
  const eu = { 'global_max_diff_exact': 2, 'max_diff_exact': 2 * V, 'mean_query+max_diff': 2 + V + V * d, 'svd_query+max_diff': 2 + V + V * d, 'max_diff': 2 + V * d }[v.eu];
  const err = v.error === 'svd' ? 2 * V : v.error === 'max_diff_exact' ? 4 * V : v.error === 'exact_EQKE+max_diff_exact' ? V * V
    : 2 * V + 2 * d + (v.error.startsWith('mean') ? V : 0);
  return eu + err + V + V * V;
}
