import { type BaseEvent, type RunAgentInput, contentToText } from '@ag-ui/core';
import type { HumanAnswer, RunHandle } from '@flotilla/core';
import { requestError } from '../http/api-error';
import type { Exchange } from '../http/exchange';
import type { RouteTable } from '../http/route-table';
import { AgUiTranslator } from './ag-ui-events';
import { type RunRegistry, viewOf } from './run-registry';

export const RUNS_PREFIX = '/v1/runs/';

/** A header naming the run a response is about (the id a JSON caller did not choose). */
export const RUN_ID_HEADER = 'x-flotilla-run-id';

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/**
 * Runs over HTTP (admin routes): `POST /v1/runs/:chain` starts a chain, `GET /v1/runs/:id`,
 * `POST /v1/runs/:id/cancel`, and with a run store `POST /v1/runs/:id/resume` and
 * `POST /v1/runs/:id/answer`. A run streams as AG-UI events over SSE; a plain JSON body sent
 * with `Accept: application/json` gets the `RunResult` instead.
 */
export function addRunRoutes(table: RouteTable, runs: RunRegistry): RouteTable {
  return table
    .addPrefix('POST', RUNS_PREFIX, { dialect: 'openai', body: true, access: 'admin', handle: (x, body) => post(x, body, runs) })
    .addPrefix('GET', RUNS_PREFIX, { dialect: 'openai', body: false, access: 'admin', handle: (x) => get(x, runs) });
}

function segments(x: Exchange): string[] {
  const rest = (x.req.url ?? '').split('?')[0]!.slice(RUNS_PREFIX.length);
  try {
    return rest.split('/').map((s) => decodeURIComponent(s));
  } catch {
    throw requestError(400, `${RUNS_PREFIX}${rest} is not a valid path (bad percent-encoding)`);
  }
}

/** What the body asks: the chain input, the run id, and the AG-UI input when it is one. */
interface RunRequest {
  input: unknown;
  runId?: string;
  agUi?: RunAgentInput;
}

/**
 * The body: AG-UI's `RunAgentInput` (it has `threadId`, `runId` and `messages`), whose chain
 * input is `forwardedProps.input` when present, else the text of the last user message; or
 * a plain `{ input, runId? }`.
 */
export function runRequestOf(body: Record<string, unknown>): RunRequest {
  const runId = body['runId'];
  if (runId !== undefined && (typeof runId !== 'string' || !RUN_ID.test(runId))) {
    throw requestError(400, 'runId must be 1 to 128 letters, digits, ".", "_", ":" or "-", starting with a letter or digit', 'runId');
  }
  if (typeof body['threadId'] === 'string' && Array.isArray(body['messages'])) {
    const agUi = { tools: [], context: [], ...body } as unknown as RunAgentInput;
    if (typeof runId !== 'string') throw requestError(400, "an AG-UI RunAgentInput needs its runId: it becomes the run's id", 'runId');
    const props = agUi.forwardedProps as Record<string, unknown> | undefined;
    if (props && typeof props === 'object' && 'input' in props) return { input: props['input'], runId, agUi };
    const lastUser = [...agUi.messages].reverse().find((m) => m.role === 'user');
    const content = lastUser?.content;
    return { input: typeof content === 'string' ? content : content === undefined ? undefined : contentToText(content as never), runId, agUi };
  }
  return { input: body['input'], ...(typeof runId === 'string' ? { runId } : {}) };
}

async function post(x: Exchange, body: Record<string, unknown>, runs: RunRegistry): Promise<void> {
  const [first, action, ...more] = segments(x);
  if (!first || more.length > 0 || (action !== undefined && !['cancel', 'resume', 'answer'].includes(action))) {
    throw requestError(404, `POST ${x.req.url} is not a route: POST ${RUNS_PREFIX}<chain>, or ${RUNS_PREFIX}<id>/cancel | resume | answer`);
  }
  if (action === undefined && Array.isArray(body['resume']) && body['resume'].length > 0) return resumeFromAgUi(x, body, runs);
  if (action === undefined) {
    const req = runRequestOf(body);
    runs.checkFree(req.runId);
    const handle = await runs.runner.start(first, req.input, req.runId === undefined ? {} : { runId: req.runId });
    return answerWith(x, handle, runs, req);
  }
  if (action === 'cancel') {
    const handle = runs.inFlight(first);
    if (!handle) {
      if (runs.endedRun(first)) throw requestError(409, `run ${first} has already ended`);
      throw requestError(404, `no run ${first} is in flight on this gateway`);
    }
    await handle.cancel(new Error('cancelled over HTTP'));
    return x.json(200, viewOf(await handle.result));
  }
  const resume = runs.runner.resume?.bind(runs.runner);
  if (!resume) throw requestError(501, `${action} needs a run store: start the gateway with --store <file>`);
  runs.checkFree(first);
  const answer = action === 'answer' ? answerOf(body) : undefined;
  const handle = await resume(first, answer === undefined ? {} : { answer });
  const agUi = typeof body['threadId'] === 'string' && Array.isArray(body['messages']) ? ({ tools: [], context: [], ...body } as unknown as RunAgentInput) : undefined;
  return answerWith(x, handle, runs, { input: undefined, ...(agUi ? { agUi } : {}) });
}

/**
 * AG-UI's own way to answer an interrupt: a `RunAgentInput` whose `resume` entry answers the
 * interrupt (its id is the human step's key) of the run named by `parentRunId`, else `runId`.
 * A `resolved` entry's `payload` is the answer (`{ action, value?, comment? }`); a `cancelled`
 * one rejects. The stored run continues under its own id.
 */
async function resumeFromAgUi(x: Exchange, body: Record<string, unknown>, runs: RunRegistry): Promise<void> {
  const resume = runs.runner.resume?.bind(runs.runner);
  if (!resume) throw requestError(501, 'resume entries need a run store: start the gateway with --store <file>', 'resume');
  const target = typeof body['parentRunId'] === 'string' ? body['parentRunId'] : body['runId'];
  if (typeof target !== 'string' || !RUN_ID.test(target)) throw requestError(400, 'resume entries need the interrupted run in parentRunId (or runId)', 'parentRunId');
  const entries = body['resume'] as { interruptId?: unknown; status?: unknown; payload?: unknown }[];
  if (entries.length !== 1) throw requestError(400, 'a run waits on one question at a time: send one resume entry', 'resume');
  const entry = entries[0]!;
  const stored = await runs.runner.find?.(target);
  if (!stored) throw requestError(404, `no run ${target} in the run store`, 'parentRunId');
  const waitingOn = (stored.waiting as { stepKey?: string } | undefined)?.stepKey;
  if (waitingOn === undefined || entry.interruptId !== waitingOn) throw requestError(409, `run ${target} does not wait on interrupt ${JSON.stringify(entry.interruptId)}${waitingOn === undefined ? '' : ` (it waits on ${waitingOn})`}`, 'resume');
  let answer: HumanAnswer;
  if (entry.status === 'cancelled') answer = { action: 'reject', comment: 'the interrupt was cancelled' };
  else if (entry.status === 'resolved' && entry.payload && typeof entry.payload === 'object') answer = answerOf(entry.payload as Record<string, unknown>);
  else throw requestError(400, 'a resume entry is { interruptId, status: "resolved", payload: { action, value?, comment? } } or status "cancelled"', 'resume');
  runs.checkFree(target);
  const handle = await resume(target, { answer });
  return answerWith(x, handle, runs, { input: undefined, agUi: { tools: [], context: [], ...body } as unknown as RunAgentInput });
}

/** `{ action: "approve" | "reject" | "edit", value?, comment? }`, as `flotilla runs answer`. */
function answerOf(body: Record<string, unknown>): HumanAnswer {
  const { action, value, comment } = body;
  if (comment !== undefined && typeof comment !== 'string') throw requestError(400, 'comment must be a string', 'comment');
  const c = comment === undefined ? {} : { comment };
  if (action === 'approve' || action === 'reject') return { action, ...c };
  if (action === 'edit') {
    if (!('value' in body)) throw requestError(400, 'an edit needs its value', 'value');
    return { action, value, ...c };
  }
  throw requestError(400, 'action must be "approve", "reject" or "edit"', 'action');
}

async function get(x: Exchange, runs: RunRegistry): Promise<void> {
  const [id, ...more] = segments(x);
  if (!id || more.length > 0) throw requestError(404, `GET ${x.req.url} is not a route: GET ${RUNS_PREFIX}<id>`);
  if (runs.inFlight(id)) return x.json(200, { runId: id, status: 'running' });
  const ended = runs.endedRun(id);
  if (ended) return x.json(200, ended);
  const stored = await runs.runner.find?.(id);
  if (stored) return x.json(200, stored);
  throw requestError(404, `no run ${id} is known to this gateway`);
}

/** The run as SSE (AG-UI events), or its result as JSON for a plain body that accepts JSON. */
async function answerWith(x: Exchange, handle: RunHandle, runs: RunRegistry, req: RunRequest): Promise<void> {
  runs.track(handle);
  // The caller going away cancels its run (resume it later from a run store).
  x.signal.addEventListener('abort', () => void handle.cancel(new Error('the client went away')), { once: true });
  x.res.setHeader(RUN_ID_HEADER, handle.runId);
  const accept = String(x.req.headers.accept ?? '');
  if (!req.agUi && accept.includes('application/json') && !accept.includes('text/event-stream')) {
    return x.json(200, viewOf(await handle.result));
  }
  const translator = new AgUiTranslator(req.agUi?.threadId ?? handle.runId, req.agUi);
  x.res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
  x.res.flushHeaders();
  // A run with nothing to say (a queue, a cold load, a slow first token) sends an SSE comment
  // every heartbeatMs: clients' and proxies' idle timeouts never end a live run.
  let quiet = true;
  const heartbeat = setInterval(() => {
    if (quiet) x.write(': keep-alive\n\n');
    quiet = true;
  }, x.options.heartbeatMs);
  const send = (events: BaseEvent[]) => {
    if (events.length > 0) quiet = false;
    // AG-UI's SSE framing (what @ag-ui/encoder writes for text/event-stream), without the encoder's protobuf runtime.
    for (const e of events) x.write(`data: ${JSON.stringify(e)}\n\n`);
  };
  await new Promise<void>((resolve) => {
    handle.events.subscribe({
      next: (e) => send(translator.translate(e)),
      complete: () => resolve(),
      error: () => resolve(),
    });
  });
  clearInterval(heartbeat);
  x.res.end();
}
