/**
 * The `webgpu` backend: WGSL compute shaders through Dawn (the `webgpu` npm package). float32 on the device; counts are
 * made to agree with the float64 CPU reference by re-deciding near-ties on the CPU. Its results are hints only.
 */
import type { BackendProvider } from '../registry.js';
import { closeWebGPU, openWebGPU, type WebGPUContext } from './device.js';
import { bruteForceScanWebGPU } from './brute-force.js';
import { cubicCaseBoundsWebGPU } from './cubic.js';
import { countCorrectExhaustiveWebGPU, sequenceMarginsWebGPU } from './exhaustive.js';
import { trainStepGradientWebGPU } from './train-step.js';

export type { WebGPUContext };

export const webgpuBackend: BackendProvider<WebGPUContext> = {
  name: 'webgpu',
  open: openWebGPU,
  close: closeWebGPU,
  kernels: {
    countCorrectExhaustive: countCorrectExhaustiveWebGPU,
    sequenceMargins: sequenceMarginsWebGPU,
    trainStepGradient: trainStepGradientWebGPU,
    cubicCaseBounds: cubicCaseBoundsWebGPU,
    bruteForceScan: bruteForceScanWebGPU,
  },
};
