/**
 * Training on a backend (src/train/train.ts trainOnBackend): on cpu it is `train` byte for byte; on webgpu each step's
 * gradient comes from the float32 trainStepGradient kernel, the model learns, and its metadata names the backend.
 * The webgpu test runs where Dawn finds an adapter (lavapipe included) and is otherwise skipped, saying why.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createBackendRegistry, type Backend } from '../../src/backend/index.js';
import { parseModel, serializeModel } from '../../src/model/model.js';
import { exhaustiveAccuracy } from '../../src/train/accuracy.js';
import { train, trainOnBackend, type TrainOptions } from '../../src/train/train.js';
import { openWebgpuForTests } from '../backend/models.js';

const registry = createBackendRegistry();
const cpu = await registry.open('cpu');
const probe = await openWebgpuForTests();
const webgpu: Backend | undefined = 'unavailable' in probe ? undefined : probe;
const noAdapter = 'unavailable' in probe ? probe.unavailable : undefined;
if (noAdapter) console.warn(`\n*** webgpu training test NOT RUN: ${noAdapter}\n`);

afterAll(async () => {
  // An open WebGPU device keeps the process alive.
  await cpu.dispose();
  await webgpu?.dispose();
});

const tiny: TrainOptions = { k: 3, vocab: 8, dModel: 8, dHead: 8, batch: 32, seed: 5, steps: 200, lr: 1e-2 };

describe('trainOnBackend', () => {
  it('on cpu writes the same bytes as train, with no gradient note in the metadata', async () => {
    const progress: number[] = [];
    const viaBackend = await trainOnBackend({ ...tiny, steps: 40 }, cpu, (p) => progress.push(p.step));
    const direct = train({ ...tiny, steps: 40 });
    expect(Buffer.from(serializeModel(viaBackend.model)).equals(Buffer.from(serializeModel(direct.model)))).toBe(true);
    expect(progress).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(JSON.parse(viaBackend.model.metadata.training)).not.toHaveProperty('gradient');
  });

  it.skipIf(webgpu === undefined)(`on webgpu learns Max-of-K and records the backend${noAdapter ? ` (NOT RUN, no WebGPU adapter: ${noAdapter})` : ''}`, async () => {
    if (!webgpu) throw new Error('unreachable: skipped without an adapter');
    const losses: number[] = [];
    const { model, finalLoss } = await trainOnBackend(tiny, webgpu, (p) => losses.push(p.loss));
    expect(losses).toHaveLength(200);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    // Chance level is ln(8) ≈ 2.08.
    expect(mean(losses.slice(0, 20))).toBeGreaterThan(1.5);
    expect(mean(losses.slice(-20))).toBeLessThan(0.3 * mean(losses.slice(0, 20)));
    expect(Number(model.metadata.final_loss)).toBe(finalLoss);
    const recipe = JSON.parse(model.metadata.training) as Record<string, unknown>;
    expect(recipe.gradient).toBe(`float32 trainStepGradient kernel on ${webgpu.description}`);
    const { accuracy } = exhaustiveAccuracy(parseModel(serializeModel(model)));
    expect(accuracy).toBeGreaterThan(0.9);
    // float32 gradients: close to the CPU's run but not the same model.
    const direct = train(tiny);
    expect(Buffer.from(serializeModel(model)).equals(Buffer.from(serializeModel(direct.model)))).toBe(false);
  });
});
