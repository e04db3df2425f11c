/** A benchmark: run `repeats` times; the harness reports the median wall time and the median of each returned figure. */
export interface Bench {
  name: string;
  repeats?: number;
  /** Returns figures such as `{ "sequences/s": 1.2e6 }`; wall time is measured by the harness. */
  run(): Promise<Record<string, number> | void>;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
