/**
 * A pre-scan of JSON text, run before JSON.parse so that hostile nesting or element counts are rejected before they
 * can exhaust the stack or the heap (limits.MAX_JSON_DEPTH, limits.MAX_JSON_VALUES). Strings are skipped; the scan
 * is one linear pass with O(1) memory and never recurses.
 */

/** Deepest nesting of arrays and objects, and the number of array elements and object members (commas + 1 each). */
export function jsonShape(text: string): { depth: number; values: number } {
  let depth = 0;
  let deepest = 0;
  let values = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++;
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) {
      deepest = Math.max(deepest, ++depth);
      values++;
    } else if (ch === 0x2c) values++;
    else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return { depth: deepest, values };
}
