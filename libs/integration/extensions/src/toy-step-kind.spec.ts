import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Unsubscribable, timer } from 'rxjs';
import { z } from 'zod';
import { type Step, type StepNode, type StepType, createFlotilla, defineAgent, defineChain, step } from '@flotilla/core';
import { ScriptedModelClient } from '@flotilla/core/testing';
import { type FileStepKind, loadChain, stepBase } from '@flotilla/chain';

// The step-kind registries, proven from outside the libraries that own them: a kind added
// here (its operator, its builder, its chain-file schema and compiler), run from code and
// from a chain file, without editing core or the chain language.

/** `retryWith`: runs its step; when it fails, waits `delayMs` and runs it once more (key `attempt#1`). */
interface RetryWithNode extends StepNode {
  readonly step: StepNode;
  readonly delayMs: number;
}

const RETRY_WITH: StepType<RetryWithNode> = {
  kind: 'retryWith',
  start(node, value, exec): Unsubscribable {
    let current: Unsubscribable | undefined;
    const first = exec.run(node.step, value, 'attempt', '#0', 0).subscribe({
      next: (v) => exec.next(v),
      complete: () => exec.complete(),
      error: () => {
        current = timer(node.delayMs).subscribe(() => {
          current = exec.run(node.step, value, 'attempt', '#1', 1).subscribe(exec);
        });
      },
    });
    current ??= first;
    return { unsubscribe: () => current?.unsubscribe() };
  },
  children: (node) => [{ segment: 'attempt', step: node.step }],
  validate(node, at) {
    if (!(node.delayMs >= 0)) throw new Error(`${at}: delayMs must be >= 0`);
  },
};

/** Its typed builder. */
function retryWith<I, O>(inner: Step<I, O>, options: { delayMs: number; id?: string }): Step<I, O> {
  return { type: RETRY_WITH, step: inner, ...options } as RetryWithNode as Step<I, O>;
}

/** Its chain-file kind: `retryWith: { delayMs, step }`. */
const RETRY_WITH_KIND: FileStepKind = {
  key: 'retryWith',
  schema: (child) => z.strictObject({ ...stepBase, retryWith: z.strictObject({ delayMs: z.number().min(0), step: child }) }),
  children: () => [['retryWith', 'step']],
  compile(decl, { path, env, scope }, c) {
    const d = decl['retryWith'] as { delayMs: number; step: unknown };
    const inner = c.steps(d.step, [...path, 'retryWith', 'step'], env, scope);
    return { step: retryWith(inner.step, { delayMs: d.delayMs, ...(decl.id !== undefined && { id: decl.id }) }), type: inner.type };
  },
};

/** Fails the first call, answers the second. */
function flaky() {
  let calls = 0;
  return new ScriptedModelClient((req) => (calls++ === 0 ? { error: Object.assign(new Error('boom'), {}) as never } : `ok: ${req.messages.at(-1)!.content}`));
}

describe('a step kind added from outside core and the chain language', () => {
  const echo = defineAgent({ name: 'echo', model: 'm', retries: 0, prompt: (s: string) => s });

  it('runs from code, with its own keys in events', async () => {
    const chain = defineChain('toy', retryWith(step.call(echo), { delayMs: 5, id: 'again' }));
    const client = flaky();
    const result = await createFlotilla({ client }).run(chain, 'hello').result;
    expect(result.status).toBe('succeeded');
    expect(result.output).toBe('ok: hello');
    const starts = result.trace.filter((e) => e.type === 'step.start').map((e) => [(e as { key: string }).key, (e as { kind: string }).kind]);
    expect(starts).toEqual([
      ['again', 'retryWith'],
      ['again/attempt#0', 'call'],
      ['again/attempt#1', 'call'],
    ]);
  });

  it('runs from a chain file, and the file is checked against its schema', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-toy-'));
    const file = path.join(dir, 'chain.yaml');
    fs.writeFileSync(file, 'version: 2\nname: toy\nagents:\n  echo: { model: m, retries: 0, prompt: "{{this}}" }\nsteps:\n  - id: again\n    retryWith: { delayMs: 5, step: { call: echo } }\n');
    await expect(loadChain(file)).rejects.toThrow(/unknown step kind|expected a step with one of/);
    const compiled = await loadChain(file, { stepKinds: [RETRY_WITH_KIND] });
    const result = await createFlotilla({ client: flaky() }).run(compiled.chain, 'hello').result;
    expect(result.output).toBe('ok: hello');
    expect(result.steps.map((s) => s.key)).toEqual(['again/attempt#1', 'again', '']);
    fs.writeFileSync(file, 'version: 2\nname: toy\nagents:\n  echo: { model: m, prompt: "{{this}}" }\nsteps:\n  - retryWith: { delayMs: -1, step: { call: echo } }\n');
    await expect(loadChain(file, { stepKinds: [RETRY_WITH_KIND] })).rejects.toThrow(/chain\.yaml:6:27: error: steps\.0\.retryWith\.delayMs: expected a number >= 0, got -1/);
  });
});
