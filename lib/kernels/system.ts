/** What the addon runs on, and its thread count. */
import { assertInteger } from '../validate';
import { NativeInfo, forcedOpenBlasCoreType, native } from '../native';

export interface BackendInfo extends NativeInfo {
  /** True when prunekit chose OpenBLAS's kernel set for this CPU (see README). */
  kernelSetForced: boolean;
}

export function info(): BackendInfo {
  const raw = native.info();
  return { ...raw, kernelSetForced: forcedOpenBlasCoreType() !== null };
}

/** Sets how many threads the kernels use (1..64). Results are deterministic for a given count. */
export function setThreads(threads: number): void {
  assertInteger('threads', threads, 1, 64);
  native.setThreads(threads);
}
