import { Agent, type ChatMessage, type FlotillaAgent } from '@flotilla/core';
import type { PlanStep, Verdict } from './schemas';

export const WORKER_SYSTEM_PROMPT = [
  'You are a worker on a team of small models. Do exactly the step you are given.',
  'When the step asks for code, reply with the code only, in one fenced block, with no commentary.',
].join(' ');

/** Shared by every call (messages are never mutated): one object, not one per call. */
const WORKER_SYSTEM_MESSAGE: ChatMessage = Object.freeze({ role: 'system', content: WORKER_SYSTEM_PROMPT });

export interface WorkerTask {
  objective: string;
  step: PlanStep;
}

export interface RevisionTask {
  objective: string;
  artifact: string;
  verdict: Verdict;
}

export type WorkerInput = WorkerTask | RevisionTask;

/** Executes one plan step, or revises the whole artifact after a review. */
@Agent({ name: 'worker', role: 'worker', retries: 2 })
export class WorkerAgent implements FlotillaAgent<WorkerInput, string> {
  prompt(input: WorkerInput): ChatMessage[] {
    const system = WORKER_SYSTEM_MESSAGE;
    if ('step' in input) {
      return [
        system,
        { role: 'user', content: `Objective: ${input.objective}\n\nYour step (${input.step.id}): ${input.step.title}\n${input.step.instructions}` },
      ];
    }
    const issues = input.verdict.issues.map((i) => `- ${i}`).join('\n') || '- (none listed)';
    const edits = input.verdict.suggestedEdits.map((e) => `- ${e}`).join('\n') || '- (none listed)';
    return [
      system,
      {
        role: 'user',
        content: `Objective: ${input.objective}\n\nRevise this work so that the reviewer approves it. Reply with the complete revised work.\n\n${input.artifact}\n\nReviewer's issues:\n${issues}\n\nSuggested edits:\n${edits}`,
      },
    ];
  }

  result(text: unknown): string {
    return String(text).trim();
  }
}
