/**
 * Vitest global setup (vitest.config.ts): asks once per test run, in a child process, whether a WebGPU adapter opens
 * here, and provides the answer to the test files (test/backend/models.ts webgpuUnavailable, openWebgpuForTests).
 * Without it every test file that needs to know loaded Dawn itself, and on a machine without a Vulkan loader Dawn's
 * native code printed `Warning: Couldn't load Vulkan: …` to the run's output once per file (nine times per `npm test`).
 * Nothing is hidden: what Dawn printed becomes part of the reason that every skipped WebGPU test shows, and a probe
 * that crashes fails the run with its output.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Why no WebGPU adapter opens here, or null when one does. */
    webgpuUnavailable: string | null;
  }
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const PROBE = `
const { createBackendRegistry } = await import('./src/backend/index.ts');
const opened = await createBackendRegistry().tryOpen('webgpu', { allowSoftwareAdapter: true });
if ('unavailable' in opened) process.stdout.write(JSON.stringify({ unavailable: opened.unavailable }));
else {
  process.stdout.write(JSON.stringify({ description: opened.description }));
  await opened.dispose();
}
`;

/** Why no adapter opens (with what Dawn printed, its source locations left out), or null when one does. */
function probeWebgpu(): string | null {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', PROBE], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  let answer: { unavailable?: string; description?: string };
  try {
    answer = JSON.parse(r.stdout) as typeof answer;
  } catch {
    throw new Error(`the WebGPU probe failed (exit ${r.status ?? r.signal}):\n${r.stderr}`);
  }
  if (answer.unavailable === undefined) return null;
  const said = r.stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('at '));
  return said.length > 0 ? `${answer.unavailable}; Dawn printed: ${said.join(' / ')}` : answer.unavailable;
}

export default function setup(project: TestProject): void {
  project.provide('webgpuUnavailable', probeWebgpu());
}
