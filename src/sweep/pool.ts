/**
 * A pool of worker_threads that run sweep jobs (src/sweep/jobs.ts), one per thread at a time, first come first
 * served. Threads run thread.js, or thread.ts from source (src/util/worker.ts). A
 * thread that dies takes only its current job with it (that job fails, with the reason); a fresh thread replaces it.
 * Closing asks each idle thread to dispose its backends and exit (a thread with an open WebGPU device does not exit by
 * itself), and terminates any that is still running a job or does not exit within CLOSE_GRACE_MS.
 */
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../util/worker.js';
import type { SweepJob, SweepJobResult } from './jobs.js';

/** How long a closing thread may take to dispose its backends before it is terminated. */
const CLOSE_GRACE_MS = 10_000;

export interface JobExecutor {
  /** Runs one job; rejects with the job's error. */
  run(job: SweepJob): Promise<SweepJobResult>;
  close(): Promise<void>;
  /** Drops jobs not yet started (they reject); running ones finish. Optional: a shared queue keeps its jobs. */
  cancelQueued?(): void;
  readonly description: string;
}

interface Pending {
  id: number;
  job: SweepJob;
  resolve(r: SweepJobResult): void;
  reject(e: Error): void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  current: Pending | null;
}

export class ThreadPool implements JobExecutor {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  readonly description: string;

  constructor(private readonly size: number, private readonly cacheDir: string) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`thread pool size must be a positive integer (got ${size})`);
    this.description = `${size} worker thread${size === 1 ? '' : 's'}`;
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const slot: Slot = { worker: startWorker(import.meta.url, 'thread'), ready: false, current: null };
    slot.worker.on('message', (msg: { ready?: true; id?: number; ok?: boolean; result?: SweepJobResult; error?: string }) => {
      if (msg.ready) {
        slot.ready = true;
        this.dispatch();
        return;
      }
      const p = slot.current;
      if (!p || msg.id !== p.id) return;
      slot.current = null;
      if (msg.ok && msg.result) p.resolve(msg.result);
      else p.reject(new Error(msg.error ?? 'job failed'));
      this.dispatch();
    });
    const onDeath = (why: string) => {
      const i = this.slots.indexOf(slot);
      if (i < 0) return;
      const p = slot.current;
      slot.current = null;
      if (p) p.reject(new Error(`worker thread died: ${why}`));
      if (this.closed) return;
      if (!slot.ready) {
        // It died while starting: respawning would only loop. Fail every queued job with the reason.
        this.slots.splice(i, 1);
        if (this.slots.length === 0) for (const q of this.queue.splice(0)) q.reject(new Error(`worker thread failed to start: ${why}`));
        return;
      }
      this.slots[i] = this.spawn();
    };
    slot.worker.on('error', (e) => onDeath(e.message));
    slot.worker.on('exit', (code) => onDeath(`exit code ${code}`));
    return slot;
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (!slot.ready || slot.current || this.queue.length === 0) continue;
      const p = this.queue.shift();
      if (!p) break;
      slot.current = p;
      slot.worker.postMessage({ id: p.id, job: p.job, cacheDir: this.cacheDir });
    }
  }

  run(job: SweepJob): Promise<SweepJobResult> {
    if (this.closed) return Promise.reject(new Error('thread pool is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, resolve, reject });
      this.dispatch();
    });
  }

  cancelQueued(): void {
    for (const p of this.queue.splice(0)) p.reject(new Error('cancelled before it started'));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error('thread pool closed'));
    await Promise.all(this.slots.map((s) => this.stop(s)));
  }

  private async stop(slot: Slot): Promise<void> {
    if (!slot.ready || slot.current) {
      await slot.worker.terminate();
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => void slot.worker.terminate().then(() => resolve()), CLOSE_GRACE_MS);
      slot.worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      slot.worker.postMessage({ close: true });
    });
  }
}
