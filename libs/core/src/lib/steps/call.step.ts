import type { Unsubscribable } from 'rxjs';
import type { AgentClass, AgentInput, AgentOutput, FlotillaAgent } from '../agents/agent-options';
import type { AgentSpec } from '../agents/agent-spec';
import type { AgentVariant } from '../agents/agent-options';
import { AgentCall } from '../engine/agent-call';
import type { AgentRef, ResolvedAgent } from '../engine/agent-registry';
import type { StepSpan } from '../engine/step-span';
import { journaledCall } from '../store/journaled-call';
import type { Step, StepAttributes, StepContext, StepNode, StepType } from './step';

export interface CallNode extends StepNode {
  readonly agent: AgentRef;
  readonly input?: (value: unknown, ctx: StepContext) => unknown;
}

interface CallAttributes extends StepAttributes {
  resolved: ResolvedAgent;
  variantSpec?: AgentVariant;
}

/** One agent call: the engine's hot path (`AgentCall` reports straight into the span). */
export const CALL: StepType<CallNode> = {
  kind: 'call',
  describe(node, exec): CallAttributes {
    const span = exec as StepSpan;
    const agent = span.ctx.engine.agents.resolve(node.agent);
    const variant = agent.variants ? span.ctx.variantOf(agent.name, agent.variants) : undefined;
    return { agent: agent.name, model: variant?.model ?? agent.model, variant: variant?.name, resolved: agent, variantSpec: variant };
  },
  start(node, value, exec): Unsubscribable {
    const span = exec as StepSpan;
    const { resolved, variantSpec } = span.attributes as CallAttributes;
    const input = node.input ? exec.call(node.input, value, 'input') : value;
    const journal = span.ctx.journal;
    if (journal !== undefined) return journaledCall(journal, span, resolved, input, variantSpec);
    const engine = span.ctx.engine;
    return new AgentCall(resolved, input, span.ctx, engine.client, span, engine.guard, variantSpec).start();
  },
  children: () => [],
};

/** What `step.call` takes besides the agent. */
export interface CallOptions<V, I> {
  id?: string;
  /** Builds the agent's input from the value the step receives; default: the value itself. */
  input?: (value: V, ctx: StepContext) => I;
}

/** The agent's input and output types, for a spec or an `@Agent` class. */
export type CallInput<A> = A extends AgentSpec<infer I, unknown> ? I : A extends AgentClass<infer C> ? AgentInput<C> : unknown;
export type CallOutput<A> = A extends AgentSpec<never, infer O> ? O : A extends AgentClass<infer C> ? AgentOutput<C> : unknown;

type AnyAgent = AgentSpec<never, unknown> | AgentClass<FlotillaAgent<never, unknown>>;

// The overload with `input` comes first: TypeScript then types a partly annotated input function.
export function call<A extends AnyAgent, V>(agent: A, options: { id?: string; input: (value: V, ctx: StepContext) => CallInput<A> }): Step<V, CallOutput<A>>;
export function call<A extends AnyAgent>(agent: A, options?: { id?: string }): Step<CallInput<A>, CallOutput<A>>;
/** An agent called by name (chain files, configuration): untyped. */
export function call(agent: string, options?: CallOptions<unknown, unknown>): Step<unknown, unknown>;
export function call(agent: AgentRef, options: CallOptions<never, unknown> = {}): Step<unknown, unknown> {
  return { type: CALL, agent, ...options } as CallNode as Step<unknown, unknown>;
}
