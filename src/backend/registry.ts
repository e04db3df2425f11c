/**
 * The backend registry (docs/architecture.md §5): an object, created by the caller and passed in
 * explicitly, mapping each backend name to a provider that opens it and to that backend's kernel implementations.
 * There is no global registry and no side-effect registration. A kernel missing from a backend throws naming both.
 */
import type { KernelName, Kernels } from './kernels.js';

export type BackendName = 'cpu' | 'webgpu';
/** What a user may ask for on the command line: `auto` is webgpu on a hardware adapter, else cpu. */
export type BackendChoice = BackendName | 'auto';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['cpu', 'webgpu', 'auto'];

export interface BackendOptions {
  /** Worker threads for CPU kernels that use them (default: 1). */
  threads?: number;
  /** Accept a software adapter (lavapipe, SwiftShader) for `webgpu`. `auto` never does; explicit `webgpu` does. */
  allowSoftwareAdapter?: boolean;
  /** Where the backend reports what it chose and why (default: nowhere). */
  log?: (line: string) => void;
}

/** One kernel on one backend, given that backend's opened context. */
export type KernelImpl<N extends KernelName, C> = (context: C, input: Kernels[N]['input']) => Promise<Kernels[N]['output']>;

export type KernelTable<C> = { [N in KernelName]?: KernelImpl<N, C> };

export type OpenResult<C> = { ok: true; context: C; description: string } | { ok: false; reason: string };

/** A backend: how to open it (which may fail, e.g. no GPU adapter), its kernels, and how to release it. */
export interface BackendProvider<C> {
  name: BackendName;
  open(options: BackendOptions): Promise<OpenResult<C>>;
  close(context: C): Promise<void>;
  kernels: KernelTable<C>;
}

export class KernelNotRegisteredError extends Error {
  constructor(kernel: string, backend: string) {
    super(`Kernel '${kernel}' not registered for backend '${backend}'`);
    this.name = 'KernelNotRegisteredError';
  }
}

/**
 * A model or batch beyond what a backend's kernels support (K, V, a device's buffer limits): the user's choice of
 * backend and model does not fit, so the CLI reports it in one line rather than as a bug.
 */
export class BackendLimitError extends RangeError {
  override name = 'BackendLimitError';
}

export class BackendUnavailableError extends Error {
  constructor(
    readonly backend: BackendName,
    readonly reason: string,
  ) {
    super(`backend '${backend}' is not available: ${reason}`);
    this.name = 'BackendUnavailableError';
  }
}

/** An opened backend. Call `dispose` when done: a WebGPU device otherwise keeps the process alive. */
export interface Backend {
  readonly name: BackendName;
  /** What is running the kernels, e.g. "cpu (1 thread)" or the GPU adapter's description. */
  readonly description: string;
  has(kernel: KernelName): boolean;
  run<N extends KernelName>(kernel: N, input: Kernels[N]['input']): Promise<Kernels[N]['output']>;
  dispose(): Promise<void>;
}

export class BackendRegistry {
  private readonly providers = new Map<BackendName, BackendProvider<unknown>>();

  register<C>(provider: BackendProvider<C>): this {
    if (this.providers.has(provider.name)) throw new Error(`backend '${provider.name}' is already registered`);
    this.providers.set(provider.name, provider as BackendProvider<unknown>);
    return this;
  }

  backends(): BackendName[] {
    return [...this.providers.keys()];
  }

  /** Opens one backend, or says why it cannot be opened. Never throws for a missing adapter. */
  async tryOpen(name: BackendName, options: BackendOptions = {}): Promise<Backend | { unavailable: string }> {
    const provider = this.providers.get(name);
    if (!provider) return { unavailable: `backend '${name}' is not registered` };
    const opened = await provider.open(options);
    if (!opened.ok) return { unavailable: opened.reason };
    return openedBackend(provider, opened.context, opened.description);
  }

  /** Opens the backend a user chose; `auto` falls back to cpu (logging why) when no hardware adapter exists. */
  async open(choice: BackendChoice, options: BackendOptions = {}): Promise<Backend> {
    if (choice === 'auto') {
      const gpu = await this.tryOpen('webgpu', { ...options, allowSoftwareAdapter: false });
      if (!('unavailable' in gpu)) {
        options.log?.(`backend auto: using webgpu (${gpu.description})`);
        return gpu;
      }
      options.log?.(`backend auto: using cpu (webgpu: ${gpu.unavailable})`);
      return this.open('cpu', options);
    }
    const opened = await this.tryOpen(choice, { allowSoftwareAdapter: true, ...options });
    if ('unavailable' in opened) throw new BackendUnavailableError(choice, opened.unavailable);
    return opened;
  }
}

/** Kernels on one opened backend run one at a time (they share the context's scratch buffers), in call order. */
function openedBackend<C>(provider: BackendProvider<C>, context: C, description: string): Backend {
  let disposed = false;
  let queue: Promise<unknown> = Promise.resolve();
  return {
    name: provider.name,
    description,
    has: (kernel) => provider.kernels[kernel] !== undefined,
    run<N extends KernelName>(kernel: N, input: Kernels[N]['input']): Promise<Kernels[N]['output']> {
      if (disposed) return Promise.reject(new Error(`backend '${provider.name}' has been disposed`));
      const impl = provider.kernels[kernel] as KernelImpl<N, C> | undefined;
      if (!impl) return Promise.reject(new KernelNotRegisteredError(kernel, provider.name));
      const result = queue.then(() => impl(context, input));
      queue = result.catch(() => undefined);
      return result;
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      await queue;
      await provider.close(context);
    },
  };
}
