import { createHash } from 'node:crypto';
import type { AgentSpec } from '../agents/agent-spec';
import type { AgentRegistry, AgentRef, ResolvedAgent } from '../engine/agent-registry';
import type { Chain } from '../steps/define-chain';
import type { StepNode } from '../steps/step';

const agentSources = new WeakMap<object, unknown>();

/**
 * Declares what an agent's prompt is made from (its templates and schemas), for chain
 * hashes: agents built from templates (`templateAgent`, chain files) declare their sources,
 * so that the hash covers the template text rather than the code that renders it. Agents
 * that declare nothing are hashed by the source text of their `prompt` and `result`.
 */
export function declareAgentSource(agent: AgentSpec<never, unknown>, source: unknown): void {
  agentSources.set(agent, source);
}

/**
 * The content hash of a chain, as a durable run records it (a resume with another hash is
 * refused). It covers the chain's name, `version` and `sourceHash` (a chain file and what it
 * includes), the step tree's shape, each step's kind and id, and for every agent called:
 * its name, resolved model, role, prompt (declared sources, else the prompt and result
 * functions' source text), output schema, sampling and provider options and variants. It
 * does not see what a step function (`map`, `input`, `over`, `if`, `until`) does, nor the
 * options of step kinds beyond their children: change those and bump the chain's `version`.
 */
export function chainHash(chain: Chain<never, unknown> | Chain<unknown, unknown>, agents: Pick<AgentRegistry, 'resolve'>): string {
  const seen = new Map<string, unknown>();
  const tree = describeNode(chain.root, agents, seen);
  const material = { name: chain.name, version: chain.version ?? null, sourceHash: chain.sourceHash ?? null, tree, agents: Object.fromEntries([...seen].sort(([a], [b]) => (a < b ? -1 : 1))) };
  return createHash('sha256').update(canonicalJson(material)).digest('hex');
}

function describeNode(node: StepNode, agents: Pick<AgentRegistry, 'resolve'>, seen: Map<string, unknown>): unknown {
  const type = node.type;
  const out: Record<string, unknown> = { kind: type.kind };
  if (node.id !== undefined) out['id'] = node.id;
  if (type.kind === 'call') {
    const agent = agents.resolve((node as unknown as { agent: AgentRef }).agent);
    out['agent'] = agent.name;
    if (!seen.has(agent.name)) seen.set(agent.name, describeAgent(agent));
  }
  const children = type.children(node);
  if (children.length > 0) out['children'] = children.map((c) => ({ segment: c.segment, step: describeNode(c.step, agents, seen) }));
  return out;
}

function describeAgent(agent: ResolvedAgent): unknown {
  const spec = agent.spec;
  const declared = agentSources.get(spec);
  return {
    model: agent.model,
    role: agent.role,
    prompt: declared ?? { prompt: fnText(spec.prompt), result: fnText(spec.result) },
    output: agent.output?.jsonSchema ?? null,
    options: agent.options ?? null,
    providerOptions: agent.providerOptions ?? null,
    variants: agent.variants ?? null,
  };
}

function fnText(fn: unknown): string | null {
  return typeof fn === 'function' ? Function.prototype.toString.call(fn) : null;
}

/** JSON with object keys sorted, so equal data hashes equal whatever the key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return typeof v === 'function' ? fnText(v) : v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}
