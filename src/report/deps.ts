/**
 * The report's view of the prover's strategy registry (src/prove/registry.ts). Tests may install a stand-in registry
 * with setStrategyProvider (in-process only).
 */
import type { Backend } from '../backend/registry.js';
import type { Model } from '../model/model.js';
import { certificateBytes } from '../prove/certificate.js';
import { listStrategies as registryList } from '../prove/registry.js';
import type { ProveFigures, Strategy } from '../prove/strategy.js';

export interface StrategyInfo {
  name: string;
  /** The paper's legend group (docs/paper.md §5.3.5), e.g. "cubic", "subcubic", "attention-V·d²". */
  group: string;
  /** Asymptotic cost, e.g. "V³K²". */
  complexity: string;
  /** The certificate's bytes (canonical JSON) and the figures the prover reports beside it (never believed). */
  prove(model: Model, options: { threads: number; backend?: Backend }): Promise<{ bytes: Uint8Array; figures: ProveFigures }>;
}

export interface StrategyProvider {
  list(): Promise<StrategyInfo[]>;
}

let override: StrategyProvider | undefined;

/** Replaces the registry (tests only); pass undefined to restore the real one. */
export function setStrategyProvider(p: StrategyProvider | undefined): void {
  override = p;
}

function fromRegistry(s: Strategy): StrategyInfo {
  return {
    name: s.name,
    group: s.group,
    complexity: s.complexity,
    async prove(model, options) {
      const { certificate, figures } = await s.prove(model, { threads: options.threads, backend: options.backend }, () => {});
      return { bytes: certificateBytes(certificate), figures };
    },
  };
}

/** Every strategy the prover has registered, in registration order. */
export async function listStrategies(): Promise<StrategyInfo[]> {
  if (override) return override.list();
  return (await registryList()).map(fromRegistry);
}

export async function getStrategy(name: string): Promise<StrategyInfo> {
  const all = await listStrategies();
  const s = all.find((x) => x.name === name);
  if (!s) {
    const known = all.map((x) => x.name);
    throw new Error(`unknown strategy ${JSON.stringify(name)}${known.length ? ` (known: ${known.slice(0, 6).join(', ')}${known.length > 6 ? `, … ${known.length} in all` : ''})` : ' (no strategies are registered)'}`);
  }
  return s;
}
