import { normaliseFault, type OpenAIFault, type OpenAIFaultRule } from './openai-fault';
import type { OpenAIScriptedReply } from './openai-scripted-reply';

/** Fault rules and one-shot scripted replies, matched per request by path and model. */
export class FaultRules {
  private readonly rules: { rule: OpenAIFaultRule; hits: number }[] = [];
  private readonly scripts: OpenAIScriptedReply[] = [];

  constructor(configured: readonly OpenAIFaultRule[] = []) {
    for (const rule of configured) this.rules.push({ rule, hits: 0 });
  }

  /** Adds a rule ahead of the others; returns its remover. */
  add(rule: OpenAIFaultRule): () => void {
    const entry = { rule, hits: 0 };
    this.rules.unshift(entry);
    return () => {
      const i = this.rules.indexOf(entry);
      if (i >= 0) this.rules.splice(i, 1);
    };
  }

  clear(): void {
    this.rules.length = 0;
    this.scripts.length = 0;
  }

  script(reply: OpenAIScriptedReply): void {
    this.scripts.push(reply);
  }

  /** Removes and returns the first script for this model (chat requests only). */
  takeScript(model: string): OpenAIScriptedReply | undefined {
    const i = this.scripts.findIndex((s) => s.model === undefined || s.model === model);
    return i < 0 ? undefined : this.scripts.splice(i, 1)[0];
  }

  match(path: string, model: string): OpenAIFault | undefined {
    for (const entry of this.rules) {
      const { rule } = entry;
      if (rule.model !== undefined && rule.model !== model) continue;
      if (rule.path !== undefined && rule.path !== path) continue;
      if (rule.times !== undefined && entry.hits >= rule.times) continue;
      entry.hits++;
      return normaliseFault(rule.fault);
    }
    return undefined;
  }
}
