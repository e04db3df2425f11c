/**
 * Untrusted text on the terminal. File names, flag values and whatever a model header holds pass through the checker's
 * printable (mechcert-checker/verdict) before they are printed: it writes every character that is not visible text
 * (controls, on which a terminal acts; bidirectional and invisible formatting characters, which reorder or hide text;
 * lone surrogates; separators but the space) as a visible `\u{…}` escape.
 */
import { printable } from 'mechcert-checker/verdict';

/** `text` with each line through printable, its line breaks kept (commander's errors end in one, some hold two lines). */
export function printableLines(text: string): string {
  return text.split('\n').map(printable).join('\n');
}

/**
 * A JSON.stringify replacer that passes every string through printable: the output stays strict JSON (an escape is
 * plain text to JSON) and holds no character a terminal would act on.
 */
export function printableStrings(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? printable(value) : value;
}
