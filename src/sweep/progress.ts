/**
 * Sweep progress on stderr: jobs done (and how many came from a cache), failed, rate and time left. On a terminal one
 * line is redrawn in place; otherwise a plain line is printed at most every `intervalMs` and at the end.
 * The rate counts only jobs that ran (cached ones are free), so the time left is not skewed by a warm cache.
 */
import { performance } from 'node:perf_hooks';

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

export class Progress {
  doneCount = 0;
  cachedCount = 0;
  failedCount = 0;
  private readonly start = performance.now();
  private lastPrint = 0;
  private readonly tty: boolean;

  constructor(private readonly total: number, private readonly log: (line: string) => void, private readonly intervalMs = 10_000, tty?: boolean) {
    this.tty = tty ?? process.stderr.isTTY === true;
  }

  done(cached: boolean): void {
    this.doneCount++;
    if (cached) this.cachedCount++;
    this.tick();
  }

  failed(n: number): void {
    this.failedCount += n;
    this.tick();
  }

  line(): string {
    const elapsed = (performance.now() - this.start) / 1000;
    const finished = this.doneCount + this.failedCount;
    const ran = finished - this.cachedCount;
    const rate = ran / Math.max(elapsed, 1e-9);
    const left = this.total - finished;
    const eta = left === 0 ? 0 : rate > 0 ? left / rate : Infinity;
    const cached = this.cachedCount ? ` (${this.cachedCount} cached)` : '';
    return `sweep: ${finished}/${this.total} jobs, ${this.doneCount} done${cached}, ${this.failedCount} failed, ${(rate * 60).toFixed(1)} jobs/min, elapsed ${formatDuration(elapsed)}, ~${formatDuration(eta)} left`;
  }

  private tick(): void {
    const now = performance.now();
    if (this.tty) {
      if (now - this.lastPrint < 200) return;
      this.lastPrint = now;
      process.stderr.write(`\r${this.line()}\x1b[K`);
      return;
    }
    if (now - this.lastPrint < this.intervalMs) return;
    this.lastPrint = now;
    this.log(this.line());
  }

  finish(): void {
    if (this.tty) process.stderr.write(`\r${this.line()}\x1b[K\n`);
    else this.log(this.line());
  }
}
