/**
 * The subcubic family as registry entries: one strategy per variant (docs/paper.md §5.3.2), named
 * `subcubic/<direct>/<attention>/<error>`, with the paper's group (§5.3.5 there) and the leading cost of checking.
 */
import type { Strategy } from '../strategy.js';
import { proveSubcubic } from './prove.js';
import { ALL_VARIANTS, complexityTag, variantComplexity, variantGroup, variantName, type Variant } from './variants.js';

function makeSubcubic(v: Variant): Strategy {
  return {
    name: variantName(v),
    group: variantGroup(v),
    complexity: variantComplexity(v),
    description: `subcubic proof (${complexityTag(v)}): direct path ${v.eu}, attention ${v.attention}, EQKE error ${v.error}; sound form of the reference (SPEC §4.6)`,
    async prove(model, options, progress) {
      progress({ phase: 'subcubic', message: variantName(v) });
      const result = proveSubcubic(model, v, { margin: options.float32?.margin });
      progress({ phase: 'subcubic', fraction: 1 });
      return result;
    },
  };
}

export const subcubicStrategies: Strategy[] = ALL_VARIANTS.map(makeSubcubic);
