import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type Observable, defer } from 'rxjs';
import { z } from 'zod';
import { type ChatCallOptions, type ChatEvent, type ChatRequest, FlotillaError, type ModelClient, type RunResult, TOKENS, createFlotillaContainer } from '@flotilla/core';
import { ScriptedModelClient, type ScriptedReply } from '@flotilla/core/testing';
import { FixtureModelClient } from '@flotilla/adapter-fixture';
import { bindChain, loadChain } from '@flotilla/chain';

/**
 * Hand-written replies for one run of an example chain: the run input, and what each agent
 * says, in order. A reply with `match` answers only a request whose last message contains
 * that text (fan-out branches run in any order); objects are sent as JSON.
 */
export const ReplySourceSchema = z.strictObject({
  input: z.unknown(),
  replies: z
    .array(z.strictObject({ agent: z.string().min(1), match: z.string().min(1).optional(), reply: z.unknown() }))
    .min(1),
});
export type ReplySource = z.output<typeof ReplySourceSchema>;

export const HAND_WRITTEN_NOTE = 'hand-written, not recorded from a real model';

/** Pace of the simulated small models (per 1000 prompt/completion chars), so recorded pace looks real. */
const FIRST_TOKEN_MS = 450;
const TOKENS_PER_SEC = 32;

export function loadReplySource(file: string): ReplySource {
  const parsed = ReplySourceSchema.safeParse(parseYaml(fs.readFileSync(file, 'utf8')) as unknown);
  if (!parsed.success) throw new FlotillaError('config', `${file}: ${z.prettifyError(parsed.error)}`, { details: { file } });
  return parsed.data;
}

/**
 * Authors a cassette: runs the real chain (the same compiler and engine as `flotilla run`)
 * over a scripted client answering from the hand-written replies, recording every call
 * through the fixture client. Fails when the chain asks for a reply nobody wrote, or a
 * written reply is never asked for.
 */
export async function authorCassette(chainFile: string, sourceFile: string, outFile: string, options: { timeScale?: number } = {}): Promise<RunResult> {
  const source = loadReplySource(sourceFile);
  const scale = options.timeScale ?? 1;
  const unused = source.replies.map((r, i) => ({ ...r, i }));
  let agent = '?';
  const script = new ScriptedModelClient((request) => {
    const last = request.messages.at(-1)?.content ?? '';
    const at = unused.findIndex((r) => r.agent === agent && (r.match === undefined || last.includes(r.match)));
    if (at < 0) throw new Error(`${sourceFile}: no reply written for agent "${agent}" asked:\n${last.slice(0, 400)}`);
    const [r] = unused.splice(at, 1);
    const text = typeof r!.reply === 'string' ? r!.reply.trim() : JSON.stringify(r!.reply);
    const tokens = Math.max(1, Math.ceil(text.length / 4));
    const reply: ScriptedReply = {
      text,
      chunks: tokens,
      firstTokenDelayMs: FIRST_TOKEN_MS * scale,
      interTokenDelayMs: (1000 / TOKENS_PER_SEC) * scale,
      usage: { promptTokens: Math.ceil(request.messages.reduce((n, m) => n + m.content.length, 0) / 4), completionTokens: tokens },
    };
    return reply;
  });
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.rmSync(outFile, { force: true });
  const recorder = new FixtureModelClient({
    cassette: outFile,
    mode: 'record',
    inner: agentAware(script, (name) => (agent = name)),
    note: HAND_WRITTEN_NOTE,
    source: `replies written in ${path.relative(path.dirname(outFile), sourceFile)}, run through the chain by apps/cli/src/author-example-cassettes.ts`,
  });
  const compiled = await loadChain(chainFile);
  const container = createFlotillaContainer({ client: recorder });
  bindChain(container, compiled);
  const result = await container.get(TOKENS.ChainEngine).run(compiled.chain, source.input);
  if (result.status !== 'succeeded') throw new Error(`${sourceFile}: authoring run ${result.status}: ${result.error?.message}`);
  if (unused.length > 0) throw new Error(`${sourceFile}: replies written but never asked for: ${unused.map((r) => `#${r.i + 1} (${r.agent})`).join(', ')}`);
  return result;
}

/** Every example with hand-written replies: `examples/<name>/cassettes/src/<case>.yaml`. */
export function exampleCases(examplesDir: string): { example: string; chain: string; source: string; cassette: string }[] {
  const out: { example: string; chain: string; source: string; cassette: string }[] = [];
  for (const example of fs.readdirSync(examplesDir).sort()) {
    const src = path.join(examplesDir, example, 'cassettes', 'src');
    if (!fs.existsSync(src)) continue;
    for (const f of fs.readdirSync(src).filter((x) => x.endsWith('.yaml')).sort()) {
      out.push({ example, chain: path.join(examplesDir, example, 'chain.yaml'), source: path.join(src, f), cassette: path.join(examplesDir, example, 'cassettes', f.replace(/\.yaml$/, '.json')) });
    }
  }
  return out;
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
