import * as fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { FlotillaError } from '@flotilla/core';

/**
 * Hand-written replies for one run of an example chain: the run input, and what each agent
 * says, in order. A reply with `match` answers only a request whose last message contains
 * that text (fan-out branches run in any order); objects are sent as JSON. A reply may call
 * tools instead (`toolCalls`, with or without text): the run then runs them and the agent's
 * next reply answers the tool results.
 */
export const ReplySourceSchema = z.strictObject({
  input: z.unknown(),
  replies: z
    .array(
      z
        .strictObject({
          agent: z.string().min(1),
          match: z.string().min(1).optional(),
          reply: z.unknown().optional(),
          toolCalls: z.array(z.strictObject({ name: z.string().min(1), arguments: z.record(z.string(), z.unknown()) })).min(1).optional(),
        })
        .refine((r) => r.reply !== undefined || r.toolCalls !== undefined, 'a reply, tool calls, or both'),
    )
    .min(1),
});
export type ReplySource = z.output<typeof ReplySourceSchema>;

export const HAND_WRITTEN_NOTE = 'hand-written, not recorded from a real model';

export function loadReplySource(file: string): ReplySource {
  const parsed = ReplySourceSchema.safeParse(parseYaml(fs.readFileSync(file, 'utf8')) as unknown);
  if (!parsed.success) throw new FlotillaError('config', `${file}: ${z.prettifyError(parsed.error)}`, { details: { file } });
  return parsed.data;
}
