import 'reflect-metadata';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HttpAgent } from '@ag-ui/client';
import { type BaseEvent, EventType, type RunAgentInput } from '@ag-ui/core';
import { OllamaSimServer } from '@flotilla/testing';
import { runCli } from './testing/run-cli';
import { serveInProcess as serve } from './testing/serve-in-process';

const ECHO = `version: 2
name: echo
agents:
  writer: { model: "fast:1b", prompt: "write about {{this}}" }
  polisher: { model: "fast:1b", prompt: "polish {{this}}" }
steps:
  - call: writer
  - call: polisher
`;
const SLOW = `version: 2
name: slow
agents:
  writer: { model: "slow:1b", prompt: "write at length about {{this}}" }
steps:
  - call: writer
`;
const REVIEW = `version: 2
name: review
agents:
  writer: { model: "fast:1b", prompt: "write about {{this}}" }
  polisher: { model: "fast:1b", prompt: "polish {{this}}" }
steps:
  - call: writer
    id: draft
  - human:
      question: "Publish this draft about {{input}}?"
    id: check
  - call: polisher
    input: "\${check.value}"
`;


const agUiInput = (runId: string, text: string): RunAgentInput => ({ threadId: `thread-${runId}`, runId, messages: [{ id: `${runId}-m1`, role: 'user', content: text }], tools: [], context: [], state: {} });

/**
 * A run through HttpAgent's `runAgent` (the client's own event verification and state; its own
 * rxjs): the events as they arrive, and at the end all of them with the run's result or error.
 */
function runAgent(url: string, input: RunAgentInput, headers: Record<string, string> = {}, agent = new HttpAgent({ url, headers, threadId: input.threadId, initialMessages: input.messages })) {
  const events: BaseEvent[] = [];
  let ended = false;
  const done = agent
    .runAgent({ runId: input.runId, ...(input.forwardedProps === undefined ? {} : { forwardedProps: input.forwardedProps }), ...(input.resume ? { resume: input.resume } : {}) }, { onEvent: ({ event }) => void events.push(event) })
    .then(
      (r) => ({ result: r.result as unknown, error: undefined as unknown }),
      (error: unknown) => ({ result: undefined as unknown, error }),
    )
    .finally(() => (ended = true));
  const all = done.then(() => events);
  const seen = async (type: EventType) => {
    while (!events.some((e) => e.type === type)) {
      if (ended) throw new Error(`the stream ended without ${type}: ${events.map((e) => e.type).join(' ')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { agent, all, done, seen };
}

function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...headers }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
}

describe('flotilla serve --chains: runs over HTTP as AG-UI', () => {
  jest.setTimeout(30_000);
  let sim: OllamaSimServer;
  let dir: string;
  let chains: string;
  let config: string;
  let server: ReturnType<typeof serve> | undefined;

  beforeAll(async () => {
    sim = new OllamaSimServer({
      timeScale: 1,
      faults: [{ contains: 'doomed', fault: { type: 'status', status: 400, message: 'the model refused' } }],
      models: [
        { name: 'fast:1b', loadMs: 0, firstTokenMs: 0, tokensPerSec: 20_000, promptTokensPerSec: 1_000_000 },
        { name: 'slow:1b', loadMs: 0, firstTokenMs: 1_200, tokensPerSec: 4, promptTokensPerSec: 1_000_000 },
      ],
    });
    await sim.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-serve-runs-'));
    chains = path.join(dir, 'chains');
    fs.mkdirSync(chains);
    fs.writeFileSync(path.join(chains, 'echo.yaml'), ECHO);
    fs.writeFileSync(path.join(chains, 'slow.yaml'), SLOW);
    fs.writeFileSync(path.join(chains, 'review.yaml'), REVIEW);
    fs.writeFileSync(path.join(dir, 'outside.yaml'), ECHO);
    fs.symlinkSync(path.join(dir, 'outside.yaml'), path.join(chains, 'escape.yaml'));
    config = path.join(dir, 'fleet.yaml');
    fs.writeFileSync(config, `endpoints:\n  - name: local\n    kind: ollama\n    url: ${sim.url}\n    slots: 4\n`);
  });
  afterEach(async () => {
    server?.stop();
    await server?.code;
    server = undefined;
  });
  afterAll(async () => {
    await sim.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("streams a run's events in order to HttpAgent, with the in-process run's result; JSON bodies; unknown and outside chains refused", async () => {
    server = serve(['--config', config, '--port', '0', '--chains', chains]);
    const url = await server.url;
    const first = runAgent(`${url}/v1/runs/echo`, agUiInput('run-1', 'harbours'));
    const events = await first.all;
    expect((await first.done).error).toBeUndefined();
    const types = events.map((e) => e.type);
    // Two steps, each streaming its text as one message, in order; the run ends finished.
    expect(types[0]).toBe(EventType.RUN_STARTED);
    expect(types.at(-1)).toBe(EventType.RUN_FINISHED);
    const compact = types.filter((t, i) => t !== EventType.TEXT_MESSAGE_CONTENT || types[i - 1] !== EventType.TEXT_MESSAGE_CONTENT);
    expect(compact).toEqual([
      EventType.RUN_STARTED,
      EventType.STEP_STARTED, // the chain (root)
      EventType.STEP_STARTED,
      EventType.TEXT_MESSAGE_START,
      EventType.TEXT_MESSAGE_CONTENT,
      EventType.TEXT_MESSAGE_END,
      EventType.STEP_FINISHED,
      EventType.STEP_STARTED,
      EventType.TEXT_MESSAGE_START,
      EventType.TEXT_MESSAGE_CONTENT,
      EventType.TEXT_MESSAGE_END,
      EventType.STEP_FINISHED,
      EventType.STEP_FINISHED,
      EventType.RUN_FINISHED,
    ]);
    const started = events[0] as BaseEvent & { runId: string; threadId: string };
    expect([started.runId, started.threadId]).toEqual(['run-1', 'thread-run-1']);
    const finished = events.at(-1) as BaseEvent & { result: unknown; outcome: { type: string } };
    const inProcess = await runCli(['run', path.join(chains, 'echo.yaml'), '--backend', 'ollama', '--host', sim.url, '--input', 'harbours', '--format', 'text']);
    expect(inProcess.code).toBe(0);
    expect(finished.outcome.type).toBe('success');
    expect(finished.result).toBe(inProcess.stdout.trim());
    expect(finished.result).toContain('polish');
    // The last message's deltas are the output.
    const lastMessage = (events.filter((e) => e.type === EventType.TEXT_MESSAGE_START).at(-1) as BaseEvent & { messageId: string }).messageId;
    const text = events.filter((e) => e.type === EventType.TEXT_MESSAGE_CONTENT && (e as BaseEvent & { messageId: string }).messageId === lastMessage).map((e) => (e as BaseEvent & { delta: string }).delta).join('');
    expect(text).toBe(finished.result);
    // The client's own view: the run's result, and the assistant messages it assembled.
    expect((await first.done).result).toBe(finished.result);
    expect(first.agent.messages.at(-1)).toMatchObject({ role: 'assistant', content: finished.result });

    const shown = await fetch(`${url}/v1/runs/run-1`);
    expect(await shown.json()).toMatchObject({ runId: 'run-1', status: 'succeeded', output: finished.result });

    const plain = await post(`${url}/v1/runs/echo`, { input: 'harbours' });
    expect(plain.status).toBe(200);
    const result = (await plain.json()) as { runId: string; status: string; output: unknown; trace?: unknown };
    expect([result.status, result.output, result.trace]).toEqual(['succeeded', finished.result, undefined]);
    expect(plain.headers.get('x-flotilla-run-id')).toBe(result.runId);

    const unknown = await post(`${url}/v1/runs/nothing`, { input: 'x' });
    expect([unknown.status, ((await unknown.json()) as { error: { message: string } }).error.message]).toEqual([404, expect.stringContaining('no chain "nothing"')]);
    const escape = await post(`${url}/v1/runs/escape`, { input: 'x' });
    expect([escape.status, ((await escape.json()) as { error: { message: string } }).error.message]).toEqual([403, expect.stringContaining('outside the chains folder')]);
    expect((await post(`${url}/v1/runs/..%2Foutside`, { input: 'x' })).status).toBe(403);
    // State-changing routes take JSON only: a page's form post cannot start a run.
    expect((await post(`${url}/v1/runs/echo`, { input: 'x' }, { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await fetch(`${url}/v1/runs/nothing-here`)).status).toBe(404);
    expect((await post(`${url}/v1/runs/run-1/cancel`, {})).status).toBe(409);
  });

  it('cancels a run over HTTP, when its caller goes away, and runs in flight when SIGTERM drains the gateway', async () => {
    server = serve(['--config', config, '--port', '0', '--chains', chains]);
    const url = await server.url;
    const one = runAgent(`${url}/v1/runs/slow`, agUiInput('run-c', 'oceans'));
    // The first token comes after 1.2 s of keep-alive comments, which the client's SSE parser skips.
    await one.seen(EventType.TEXT_MESSAGE_CONTENT);
    const cancelled = await post(`${url}/v1/runs/run-c/cancel`, {});
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toMatchObject({ runId: 'run-c', status: 'cancelled' });
    const events = await one.all;
    expect(events.at(-1)).toMatchObject({ type: EventType.RUN_FINISHED, outcome: { type: 'cancelled' } });

    // A caller that goes away cancels its run.
    const gone = runAgent(`${url}/v1/runs/slow`, agUiInput('run-g', 'lakes'));
    await gone.seen(EventType.TEXT_MESSAGE_CONTENT);
    gone.agent.abortRun();
    await gone.done;
    let status = '';
    for (let i = 0; i < 100 && status !== 'cancelled'; i++) {
      status = ((await (await fetch(`${url}/v1/runs/run-g`)).json()) as { status: string }).status;
      if (status !== 'cancelled') await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).toBe('cancelled');

    const two = runAgent(`${url}/v1/runs/slow`, agUiInput('run-d', 'rivers'));
    await two.seen(EventType.TEXT_MESSAGE_CONTENT);
    const at = Date.now();
    server.stop();
    expect(await server.code).toBe(0);
    // The slow reply has many seconds to go; the drain ended it at once.
    expect(Date.now() - at).toBeLessThan(3_000);
    expect((await two.all).at(-1)).toMatchObject({ type: EventType.RUN_FINISHED, outcome: { type: 'cancelled' } });
    server = undefined;
  });

  it('with --store: a run waiting for a person is an interrupt; resume and answer continue it by id', async () => {
    const db = path.join(dir, 'runs.db');
    server = serve(['--config', config, '--port', '0', '--chains', chains, '--store', db]);
    const url = await server.url;
    const events = await runAgent(`${url}/v1/runs/review`, { ...agUiInput('pub-1', 'ignored'), forwardedProps: { input: 'harbours' } }).all;
    expect(events.at(-1)).toMatchObject({
      type: EventType.RUN_FINISHED,
      runId: 'pub-1',
      outcome: { type: 'interrupt', interrupts: [{ id: 'check', reason: 'human', message: 'Publish this draft about harbours?' }] },
    });
    expect(await (await fetch(`${url}/v1/runs/pub-1`)).json()).toMatchObject({ status: 'waiting' });
    // Resumed without an answer, it waits again; the answer continues it.
    expect(await (await post(`${url}/v1/runs/pub-1/resume`, {})).json()).toMatchObject({ status: 'waiting', waiting: { stepKey: 'check' } });
    expect((await post(`${url}/v1/runs/pub-1/answer`, { action: 'maybe' })).status).toBe(400);
    const answered = await post(`${url}/v1/runs/pub-1/answer`, { action: 'edit', value: 'ships in the harbour at dawn' });
    expect(await answered.json()).toMatchObject({ status: 'succeeded', output: 'This is fast:1b answering: polish ships in the harbour at dawn' });
    expect((await post(`${url}/v1/runs/nobody/resume`, {})).status).toBe(404);

    // AG-UI's own flow: the client answers the interrupt it holds with a resume entry.
    const asked = runAgent(`${url}/v1/runs/review`, { ...agUiInput('pub-2', 'ignored'), forwardedProps: { input: 'rivers' } });
    await asked.done;
    expect(asked.agent.pendingInterrupts).toEqual([expect.objectContaining({ id: 'check', reason: 'human' })]);
    const resumed = runAgent(`${url}/v1/runs/review`, { ...agUiInput('pub-2', 'ignored'), resume: [{ interruptId: 'check', status: 'resolved', payload: { action: 'approve' } }] }, {}, asked.agent);
    expect((await resumed.done).result).toBe('This is fast:1b answering: polish This is fast:1b answering: write about rivers');
    expect(await (await fetch(`${url}/v1/runs/pub-2`)).json()).toMatchObject({ status: 'succeeded' });
  });

  it('a failed run ends with a typed RUN_ERROR; with keys configured only an admin key may start runs', async () => {
    const tenants = path.join(dir, 'tenants.yaml');
    fs.writeFileSync(tenants, 'tenants:\n  - name: app\n    keyEnv: K_APP\n  - name: ops\n    keyEnv: K_OPS\n    admin: true\n');
    server = serve(['--config', config, '--port', '0', '--chains', chains, '--tenants', tenants], { K_APP: 'app-key-1234567890', K_OPS: 'ops-key-1234567890' });
    const url = await server.url;
    const refused = await post(`${url}/v1/runs/echo`, { input: 'x' }, { authorization: 'Bearer app-key-1234567890' });
    expect(refused.status).toBe(403);
    expect((await post(`${url}/v1/runs/echo`, { input: 'x' })).status).toBe(401);
    expect((await fetch(`${url}/v1/runs/anything`, { headers: { authorization: 'Bearer app-key-1234567890' } })).status).toBe(403);
    const failed = runAgent(`${url}/v1/runs/echo`, agUiInput('run-e', 'doomed'), { authorization: 'Bearer ops-key-1234567890' });
    const events = await failed.all;
    expect((await failed.done).result).toBeUndefined();
    expect(events.map((e) => e.type)).toEqual([EventType.RUN_STARTED, EventType.STEP_STARTED, EventType.STEP_STARTED, EventType.CUSTOM, EventType.STEP_FINISHED, EventType.CUSTOM, EventType.STEP_FINISHED, EventType.RUN_ERROR]);
    expect(events.at(-1)).toMatchObject({ type: EventType.RUN_ERROR, code: 'badRequest', message: expect.stringContaining('the model refused') });
  });
});
