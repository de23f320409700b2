import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { type ChatRequest, FlotillaError, createFlotilla } from '@flotilla/core';
import { ScriptedModelClient } from '@flotilla/core/testing';
import { HAND_WRITTEN_NOTE, type ModelPace, pacedReply } from '@flotilla/authoring';
import { FixtureModelClient } from '@flotilla/adapter-fixture';
import { type PipelineResult, PlanSchema, VerdictSchema, codingPipeline, manager, pipelineResult, reviewer } from '@flotilla/agents';
import { templateSourceOf } from '@flotilla/chain';

/** Hand-written replies for one objective: what the manager, workers and reviewer say. */
export const ReplySourceSchema = z.object({
  objective: z.string().min(1),
  plan: PlanSchema,
  workers: z.record(z.string(), z.string()),
  reviews: z.array(VerdictSchema).min(1),
  revisions: z.array(z.string()),
});
export type ReplySource = z.output<typeof ReplySourceSchema>;

export { HAND_WRITTEN_NOTE };

/** Per-role pace of the simulated models: first-token delay and generation speed. */
const PACE: Readonly<Record<'manager' | 'worker' | 'reviewer', ModelPace>> = {
  manager: { firstTokenMs: 650, tokensPerSec: 28 },
  worker: { firstTokenMs: 420, tokensPerSec: 36 },
  reviewer: { firstTokenMs: 520, tokensPerSec: 31 },
};

export function loadReplySource(file: string): ReplySource {
  const raw = parseYaml(fs.readFileSync(file, 'utf8')) as unknown;
  const parsed = ReplySourceSchema.safeParse(raw);
  if (!parsed.success) {
    throw new FlotillaError('config', `${file}: ${z.prettifyError(parsed.error)}`, { details: { file } });
  }
  return parsed.data;
}

/**
 * Authors a cassette from hand-written replies: runs the real pipeline over a scripted
 * client that answers from `source`, paced like small local models (`timeScale` 0 for
 * instant), recording every call through the fixture client into `outFile`.
 */
export async function authorCassette(sourceFile: string, outFile: string, options: { timeScale?: number } = {}): Promise<PipelineResult> {
  const source = loadReplySource(sourceFile);
  const scale = options.timeScale ?? 1;
  let reviews = 0;
  let revisions = 0;
  const paced = (text: string, role: keyof typeof PACE, request: ChatRequest) => pacedReply(text, request, PACE[role], scale);
  const managerSystem = templateSourceOf(manager).system;
  const reviewerSystem = templateSourceOf(reviewer).system;
  const script = new ScriptedModelClient((request) => {
    const system = request.messages[0]?.content ?? '';
    const user = request.messages.at(-1)?.content ?? '';
    if (system === managerSystem) return paced(JSON.stringify(source.plan), 'manager', request);
    if (system === reviewerSystem) {
      const verdict = source.reviews[reviews++];
      if (!verdict) throw new Error(`${sourceFile}: the pipeline asked for review ${reviews}, but only ${source.reviews.length} are written`);
      return paced(JSON.stringify(verdict), 'reviewer', request);
    }
    if (user.includes('Revise this work')) {
      const revision = source.revisions[revisions++];
      if (revision === undefined) throw new Error(`${sourceFile}: the pipeline asked for revision ${revisions}, but only ${source.revisions.length} are written`);
      return paced(revision.trim(), 'worker', request);
    }
    const id = /Your step \(([^)]+)\)/.exec(user)?.[1];
    const reply = id === undefined ? undefined : source.workers[id];
    if (reply === undefined) throw new Error(`${sourceFile}: no worker reply written for step "${id}"`);
    return paced(reply.trim(), 'worker', request);
  });

  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.rmSync(outFile, { force: true });
  const recorder = new FixtureModelClient({
    cassette: outFile,
    mode: 'record',
    inner: script,
    note: HAND_WRITTEN_NOTE,
    source: `replies written in apps/demo/cassettes/src/${path.basename(sourceFile)}, run through the real pipeline by npm run demo:author-cassettes, paced like small local models`,
  });
  const pipeline = codingPipeline({ maxReviewRounds: Math.max(2, source.reviews.length) });
  const result = pipelineResult(pipeline, source.objective, await createFlotilla({ client: recorder }).run(pipeline, source.objective).result);
  if (result.status !== 'succeeded') throw new Error(`${sourceFile}: authoring run ${result.status}: ${result.error?.message}`);
  if (reviews !== source.reviews.length || revisions !== source.revisions.length) {
    throw new Error(`${sourceFile}: ${source.reviews.length - reviews} review(s) and ${source.revisions.length - revisions} revision(s) written but never asked for`);
  }
  return result;
}
