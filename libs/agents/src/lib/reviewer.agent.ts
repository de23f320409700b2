import { Agent, type ChatMessage, type FlotillaAgent } from '@flotilla/core';
import { VERDICT, type Verdict } from './schemas';

export const REVIEWER_SYSTEM_PROMPT = [
  'You are a strict reviewer. Check the work against the objective.',
  'Approve only when it is correct and complete. List concrete issues and suggested edits otherwise.',
  'Reply with JSON only, matching the given schema.',
].join(' ');

/** Shared by every call (messages are never mutated): one object, not one per call. */
const REVIEWER_SYSTEM_MESSAGE: ChatMessage = Object.freeze({ role: 'system', content: REVIEWER_SYSTEM_PROMPT });

export interface ReviewTask {
  objective: string;
  artifact: string;
}

/** Critiques the combined work; its verdict decides whether another round runs. */
@Agent({ name: 'reviewer', role: 'reviewer', output: VERDICT, retries: 2, priority: 10 })
export class ReviewerAgent implements FlotillaAgent<ReviewTask, Verdict> {
  prompt(input: ReviewTask): ChatMessage[] {
    return [
      REVIEWER_SYSTEM_MESSAGE,
      { role: 'user', content: `Objective: ${input.objective}\n\nWork to review:\n${input.artifact}` },
    ];
  }
}
