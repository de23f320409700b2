import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Observable, defer } from 'rxjs';
import { type ChatCallOptions, type ChatEvent, type ChatRequest, type ModelClient, type RunResult, createFlotilla } from '@flotilla/core';
import { ScriptedModelClient } from '@flotilla/core/testing';
import { SMALL_MODEL_PACE, pacedReply } from './paced-reply';
import { FixtureModelClient } from '@flotilla/adapter-fixture';
import { loadChain, loadToolModules } from '@flotilla/chain';
import { HAND_WRITTEN_NOTE, loadReplySource } from './reply-source';

/** Pace of the simulated small models (per 1000 prompt/completion chars), so recorded pace looks real. */

export interface AuthorCassetteOptions {
  /** Scales the simulated model pace (0: no waiting, for tests). @default 1 */
  timeScale?: number;
  /** What ran the authoring, named in the cassette's `source` line. @default DEFAULT_AUTHORED_BY */
  by?: string;
  /** Tool modules the chain's agents name tools of (what `flotilla run --tools` would be given). @default [] */
  tools?: readonly string[];
}

export const DEFAULT_AUTHORED_BY = '@flotilla/authoring';

/**
 * Authors a cassette: runs the real chain (the same compiler and engine as `flotilla run`)
 * over a scripted client answering from the hand-written replies, recording every call
 * through the fixture client. Fails when the chain asks for a reply nobody wrote, or a
 * written reply is never asked for.
 */
export async function authorCassette(chainFile: string, sourceFile: string, outFile: string, options: AuthorCassetteOptions = {}): Promise<RunResult> {
  const source = loadReplySource(sourceFile);
  const scale = options.timeScale ?? 1;
  const unused = source.replies.map((r, i) => ({ ...r, i }));
  let agent = '?';
  const script = new ScriptedModelClient((request) => {
    const last = request.messages.at(-1)?.content ?? '';
    const at = unused.findIndex((r) => r.agent === agent && (r.match === undefined || last.includes(r.match)));
    if (at < 0) throw new Error(`${sourceFile}: no reply written for agent "${agent}" asked:\n${last.slice(0, 400)}`);
    const [r] = unused.splice(at, 1);
    const text = r!.reply === undefined ? '' : typeof r!.reply === 'string' ? r!.reply.trim() : JSON.stringify(r!.reply);
    const paced = pacedReply(text || JSON.stringify(r!.toolCalls), request, SMALL_MODEL_PACE, scale);
    return r!.toolCalls ? { ...paced, text, toolCalls: r!.toolCalls } : paced;
  });
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.rmSync(outFile, { force: true });
  const recorder = new FixtureModelClient({
    cassette: outFile,
    mode: 'record',
    inner: agentAware(script, (name) => (agent = name)),
    note: HAND_WRITTEN_NOTE,
    source: `replies written in ${path.relative(path.dirname(outFile), sourceFile)}, run through the chain by ${options.by ?? DEFAULT_AUTHORED_BY}`,
  });
  const tools = await loadToolModules(options.tools ?? []);
  const compiled = await loadChain(chainFile, { tools: tools.map((t) => t.name) });
  const result = await createFlotilla({ client: recorder, tools }).run(compiled.chain, source.input).result;
  if (result.status !== 'succeeded') throw new Error(`${sourceFile}: authoring run ${result.status}: ${result.error?.message}`);
  if (unused.length > 0) throw new Error(`${sourceFile}: replies written but never asked for: ${unused.map((r) => `#${r.i + 1} (${r.agent})`).join(', ')}`);
  return result;
}

/** Tells the script which agent is asking (the engine passes it as a per-call hint). */
function agentAware(inner: ModelClient, onCall: (agent: string) => void): ModelClient {
  return {
    name: inner.name,
    chat(request: ChatRequest, options?: ChatCallOptions): Observable<ChatEvent> {
      return defer(() => {
        onCall(options?.agent ?? '?');
        return inner.chat(request, options);
      });
    },
  };
}
