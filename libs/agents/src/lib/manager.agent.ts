import { Agent, type ChatMessage, type FlotillaAgent } from '@flotilla/core';
import { PLAN, type Plan } from './schemas';

export const MANAGER_SYSTEM_PROMPT = [
  'You are the manager of a team of small, specialised models.',
  'Decompose the objective into 1 to 8 independent steps that workers can do in parallel.',
  'Each step must be self-contained: a worker sees only the objective and its own step.',
  'Reply with JSON only, matching the given schema.',
].join(' ');

/** Shared by every call (messages are never mutated): one object, not one per call. */
const MANAGER_SYSTEM_MESSAGE: ChatMessage = Object.freeze({ role: 'system', content: MANAGER_SYSTEM_PROMPT });

/** Decomposes an objective into a structured plan. */
@Agent({ name: 'manager', role: 'manager', output: PLAN, retries: 2, timeouts: { firstTokenMs: 120_000 } })
export class ManagerAgent implements FlotillaAgent<string, Plan> {
  prompt(objective: string): ChatMessage[] {
    return [
      MANAGER_SYSTEM_MESSAGE,
      { role: 'user', content: `Objective: ${objective}` },
    ];
  }
}
