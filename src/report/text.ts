/**
 * Plain-text layout for the terminal: lines of at most TERMINAL_WIDTH columns. Every character the report prints is
 * one column wide (ASCII and symbols such as − ± × ÷ … from the Basic Multilingual Plane), so a column is a code point.
 */

export const TERMINAL_WIDTH = 100;

const columns = (s: string) => [...s].length;

/** `s` shortened to `width` columns by an ellipsis in the middle (the start and end of a strategy name say most). */
export function elide(s: string, width: number): string {
  const cps = [...s];
  if (cps.length <= width) return s;
  if (width <= 1) return '…'.slice(0, Math.max(0, width));
  const head = Math.ceil((width - 1) / 2);
  return `${cps.slice(0, head).join('')}…${cps.slice(cps.length - (width - 1 - head)).join('')}`;
}

/** `s` cut to `width` columns, an ellipsis marking the cut. */
export function truncate(s: string, width: number): string {
  const cps = [...s];
  return cps.length <= width ? s : `${cps.slice(0, Math.max(0, width - 1)).join('')}…`;
}

/**
 * Words of `text` (split at spaces, and after "/" inside a word longer than a line) in lines of at most `width`
 * columns, the first starting with `first`, the others with `rest`.
 */
export function wrap(text: string, width: number, first = '', rest = first): string[] {
  const lines: string[] = [];
  let line = first;
  let fresh = true;
  const put = (word: string, newLine: boolean) => {
    if (!fresh && (newLine || columns(line) + 1 + columns(word) > width)) {
      lines.push(line);
      line = rest;
      fresh = true;
    }
    line += fresh ? word : ` ${word}`;
    fresh = false;
  };
  for (const word of text.split(' ')) splitLong(word, width - columns(rest)).forEach((piece, i) => put(piece, i > 0));
  lines.push(line);
  return lines;
}

/** A word longer than `width`, cut after its "/" (or anywhere, where it has none) into pieces of at most `width`. */
function splitLong(word: string, width: number): string[] {
  if (columns(word) <= width || width < 1) return [word];
  const cps = [...word];
  let cut = cps.lastIndexOf('/', width - 1) + 1;
  if (cut <= 0) cut = width;
  return [cps.slice(0, cut).join(''), ...splitLong(cps.slice(cut).join(''), width)];
}

/** A shell command over lines of at most `width` columns, joined by " \" continuations (copy-pastable as is). */
export function shellCommand(words: string[], width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = indent;
  for (const w of words) {
    const sep = line.trim() === '' ? '' : ' ';
    if (sep && columns(line) + 1 + columns(w) + 2 > width) {
      lines.push(`${line} \\`);
      line = `${indent}  ${w}`;
    } else line += `${sep}${w}`;
  }
  lines.push(line);
  return lines;
}
