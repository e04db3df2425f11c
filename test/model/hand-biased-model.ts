/**
 * The hand-built model with random biases shipped as models/max4-v16-hand-biases.safetensors: K = 4, V = 16, a
 * "solver" (test/model/random-model.ts: W_E = I, attention rising with the key token, EVOU a copy of the attended
 * token, normal(0, 0.05) noise on every weight) plus every bias (b_Q, b_K, b_V, b_O, b_U) normal(0, 0.3). Deterministic:
 * test/prove/biases.test.ts checks that the committed file is what this writes.
 *
 *   node --import tsx test/model/hand-biased-model.ts
 */
import { pathToFileURL } from 'node:url';
import { serializeModel } from '../../src/model/model.js';
import { writeFileAtomic } from '../../src/util/atomic.js';
import { solverModel, withRandomBiases } from './random-model.js';

export const HAND_BIASED_FILE = 'models/max4-v16-hand-biases.safetensors';

export function handBiasedModel(): Uint8Array {
  const model = withRandomBiases(solverModel(4, 16, 16), 16, 0.3);
  return serializeModel({ ...model, metadata: { seed: '16', built: 'test/model/hand-biased-model.ts: solverModel(4, 16, 16) with every bias normal(0, 0.3)' } });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  writeFileAtomic(new URL(`../../${HAND_BIASED_FILE}`, import.meta.url).pathname, handBiasedModel());
}
