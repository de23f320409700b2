import { normalizeModelName } from './sim-model';
import {
  type FaultRule,
  type ReplyScript,
  type SimFault,
  type SimReply,
  type SimReplySpec,
  type SimRequestContext,
  defaultReply,
  lastUserText,
  magicFault,
  normaliseReply,
} from './sim-reply';

interface QueuedReply {
  reply: SimReplySpec;
  model?: string;
}

/**
 * Decides what a generation request gets. Text: the next queued reply, else the model's
 * script, else the server's, else the default. Fault: the reply's own, else the first
 * matching rule, else a magic string in the prompt.
 */
export class ReplyPicker {
  private readonly queued: QueuedReply[] = [];
  private readonly rules: FaultRule[];
  private index = 0;

  constructor(
    private readonly serverScript: ReplyScript | undefined,
    rules: readonly FaultRule[],
  ) {
    this.rules = rules.map((r) => ({ ...r }));
  }

  enqueue(reply: SimReply, model?: string): void {
    this.queued.push({ reply: normaliseReply(reply), model: model === undefined ? undefined : normalizeModelName(model) });
  }

  addRule(rule: FaultRule): () => void {
    const r = { ...rule };
    this.rules.push(r);
    return () => {
      const i = this.rules.indexOf(r);
      if (i >= 0) this.rules.splice(i, 1);
    };
  }

  pick(c: Omit<SimRequestContext, 'index'>, modelScript: ReplyScript | undefined): SimReplySpec {
    const ctx: SimRequestContext = { ...c, index: this.index++ };
    const qi = this.queued.findIndex((q) => q.model === undefined || q.model === ctx.model);
    const queued = qi >= 0 ? this.queued.splice(qi, 1)[0]!.reply : undefined;
    const scripted = queued ?? modelScript?.(ctx) ?? this.serverScript?.(ctx);
    const spec = scripted === undefined ? defaultReply(ctx) : normaliseReply(scripted);
    const withText = spec.text === undefined && !spec.toolCalls?.length ? { ...spec, text: defaultReply(ctx).text } : spec;
    const fault = withText.fault ?? this.ruleFault(ctx) ?? magicFault(lastUserText(ctx.messages));
    return fault ? { ...withText, fault } : withText;
  }

  private ruleFault(ctx: SimRequestContext): SimFault | undefined {
    const text = lastUserText(ctx.messages);
    for (const rule of this.rules) {
      if ((rule.times ?? Infinity) <= 0) continue;
      if (rule.model !== undefined) {
        const ok = typeof rule.model === 'string' ? normalizeModelName(rule.model) === ctx.model : rule.model.test(ctx.model);
        if (!ok) continue;
      }
      if (rule.contains !== undefined && !text.includes(rule.contains)) continue;
      if (rule.times !== undefined) rule.times--;
      return rule.fault;
    }
    return undefined;
  }
}
