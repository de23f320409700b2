import type { Ref } from '../steps/step';
import type { RunResult } from './run-result';

/**
 * The output of the step named by `ref` (a step with an `id`) in a run's result: its latest
 * completion, typed by the step; undefined when it did not complete. Works on failed and
 * cancelled runs too (every completed step is kept).
 */
export function outputOf<T>(result: Pick<RunResult, 'steps'>, ref: Ref<T>): T | undefined {
  const id = ref.id;
  if (id === undefined) return undefined;
  for (let i = result.steps.length - 1; i >= 0; i--) if (result.steps[i]!.id === id) return result.steps[i]!.output as T;
  return undefined;
}

/** Every completed output of the step named by `ref`, in completion order (fan-out items, rounds). */
export function outputsOf<T>(result: Pick<RunResult, 'steps'>, ref: Ref<T>): T[] {
  return ref.id === undefined ? [] : result.steps.filter((s) => s.id === ref.id).map((s) => s.output as T);
}
