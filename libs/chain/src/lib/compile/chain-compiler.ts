import { type Chain, type StepNode, closestName, defineChain, sequenceOf, step as core } from '@flotilla/core';
import type { ChainDiagnostic } from '../parse/chain-diagnostic';
import type { ConditionDecl, StepDecl } from '../parse/chain-file.schema';
import type { ParsedChain } from '../parse/parse-chain';
import type { PathSegment } from '../parse/yaml-source';
import type { ResolvedAgent } from '../agents/resolved-agent';
import { type TemplateAgentSpec, chainAgent } from '../agents/chain-agent';
import { type CompiledTemplate, checkTemplate, compileTemplate } from '../template/template-engine';
import { type StaticType, inferValueType, mismatches } from '../validate/static-type';
import { type ConditionFn, compileCondition } from './condition';
import { type ValueFn, compileValue } from './reference';
import { type Binding, type Env, ScopeChecker } from '../validate/scope-checker';
import type { CompiledStep, FileStepKinds, StepCompiler } from '../kinds/file-step-kind';
import { BUILT_IN_STEP_KINDS } from '../kinds/built-in-kinds';
import { refFn } from '../kinds/file-step-kind';

/** Names every step can read besides the outputs named with `id`. */
const RESERVED = ['input', 'value', 'item', 'index', 'verdict'] as const;

export interface CompiledChainParts {
  chain: Chain<unknown, unknown>;
  /** The spec of every declared agent a step calls. */
  agents: TemplateAgentSpec[];
  diagnostics: ChainDiagnostic[];
}

/**
 * Checks a parsed chain and turns it into core's step tree. One walk in execution order
 * does both: it knows which names are bound where (undefined and forward references,
 * which are how a cycle shows up in a step tree), the static type of every value
 * (schema mismatches between connected steps), and which steps can never run. Each step
 * kind compiles itself (kinds/); this walk gives them the checks (`StepCompiler`).
 */
export class ChainCompiler implements StepCompiler {
  private readonly diagnostics: ChainDiagnostic[] = [];
  private readonly used = new Map<string, TemplateAgentSpec>();
  /** Agents whose template reads were checked against their declared input schema. */
  private readonly readsChecked = new Set<string>();
  private readonly check = new ScopeChecker((path, code, message, hint) => this.error(path, code, message, hint));

  constructor(
    private readonly parsed: ParsedChain,
    private readonly agents: ReadonlyMap<string, ResolvedAgent>,
    /** Every declared agent name, loaded or not (one that failed to load is not "unknown"). */
    private readonly declared: ReadonlySet<string> = new Set(agents.keys()),
    /** Agents known to the engine by name (passed to createFlotilla): callable, not checked, never reported unused. */
    private readonly external: ReadonlySet<string> = new Set(),
    private readonly kinds: FileStepKinds = BUILT_IN_STEP_KINDS,
  ) {}

  compile(): CompiledChainParts {
    const { data } = this.parsed;
    this.collectNames(data.steps, ['steps']);
    const names = new Map<string, Binding>([['input', { type: data.input }]]);
    const env: Env = { names, value: data.input };
    let root = this.steps(data.steps, ['steps'], env, names);
    if (data.output !== undefined) {
      const out = this.value(data.output, ['output'], { names, value: root.type });
      const output = core.map(refFn(out.fn), { id: 'output' });
      const steps: StepNode[] = Array.isArray(data.steps) ? [...((root.step as unknown as { steps: StepNode[] }).steps), output] : [root.step, output];
      root = { step: sequenceOf(steps), type: out.type };
    }
    for (const name of this.declared) {
      if (!this.used.has(name)) this.warn(['agents', name], 'unusedAgent', `agent "${name}" is declared but no step calls it`, 'remove it, or call it from a step');
    }
    return { chain: defineChain(data.name, root.step), agents: [...this.used.values()], diagnostics: this.diagnostics };
  }

  // StepCompiler: what the step kinds use.

  steps(node: unknown, path: PathSegment[], env: Env, scope: Map<string, Binding>): CompiledStep {
    if (!Array.isArray(node)) return this.step(node as StepDecl, path, env, scope);
    const { steps, type } = this.list(node, path, env, scope);
    return { step: sequenceOf(steps), type };
  }

  list(decls: readonly unknown[], path: PathSegment[], env: Env, scope: Map<string, Binding>): { steps: StepNode[]; type: StaticType } {
    const steps: StepNode[] = [];
    let value = env.value;
    decls.forEach((s, i) => {
      const r = this.steps(s, [...path, i], { ...env, value }, scope);
      steps.push(r.step);
      value = r.type;
    });
    return { steps, type: value };
  }

  value(template: unknown, path: PathSegment[], env: Env): { fn: ValueFn; type: StaticType } {
    const before = this.diagnostics.length;
    this.check.walkRefs(template, path, env);
    const type = inferValueType(template, (t) => this.check.refType(t, path, env, false));
    if (this.diagnostics.slice(before).some((d) => d.severity === 'error')) return { fn: () => undefined, type };
    return { fn: compileValue(template), type };
  }

  referenceType(text: string, path: PathSegment[], env: Env): StaticType {
    return this.check.refType(text, path, env, true);
  }

  condition(c: ConditionDecl, path: PathSegment[], env: Env): ConditionFn {
    this.check.checkCondition(c, path, env);
    return compileCondition(c);
  }

  template(source: string, path: PathSegment[], env: Env): CompiledTemplate | undefined {
    const problem = checkTemplate(source);
    if (problem) this.error(path, 'template', `template: ${problem.message}${problem.line ? ` (template line ${problem.line})` : ''}`);
    this.check.checkTemplateRoots(source, path, env);
    return problem ? undefined : compileTemplate(source);
  }

  agent(name: string, path: PathSegment[]): { resolved: ResolvedAgent; spec: TemplateAgentSpec } | undefined {
    const resolved = this.agents.get(name);
    if (!resolved && !this.declared.has(name) && !this.external.has(name)) {
      const known = [...this.declared, ...this.external];
      const guess = closestName(name, known);
      this.error(path, 'unknownAgent', `unknown agent "${name}"; declared agents: ${known.join(', ') || '(none)'}`, guess ? `did you mean "${guess}"?` : `declare it under agents: ${name}: { prompt: ... }`);
    }
    if (!resolved) {
      if (this.declared.has(name) && !this.used.has(name)) this.used.set(name, undefined as unknown as TemplateAgentSpec);
      return undefined;
    }
    let spec = this.used.get(name);
    if (!spec) this.used.set(name, (spec = chainAgent(resolved.spec)));
    return { resolved, spec };
  }

  checkAgentInput(agent: ResolvedAgent, passed: StaticType, at: PathSegment[], viaInput: boolean): void {
    this.checkTemplateReads(agent, passed, at);
    if (!agent.inputType) return;
    for (const m of mismatches(passed, agent.inputType, `input of agent "${agent.name}"`)) {
      this.error(at, 'schemaMismatch', `${m} (the agent's input schema, line ${agent.declaredAt.line})`, viaInput ? "make the input fit the agent's input schema" : "the previous step's output does not fit; map it with input: {...}");
    }
  }

  scopeBranch(names: ReadonlyMap<string, Binding>, outer: Env): void {
    for (const [name, b] of names) if (!outer.names.has(name) && name !== 'item' && name !== 'index') this.check.scoped.set(name, b.line);
  }

  private step(decl: StepDecl, path: PathSegment[], env: Env, scope: Map<string, Binding>): CompiledStep {
    const key = Object.keys(decl).find((k) => this.kinds.get(k) !== undefined)!;
    const result = this.kinds.get(key)!.compile(decl, { path, env, scope }, this);
    if (decl.id !== undefined) this.bind(decl.id, result.type, path, scope, env);
    return result;
  }

  /**
   * A name an agent's template reads must be in its input, or the model gets a prompt with
   * a hole ("Write about "). Against the declared input schema (once per agent, at the
   * template), else against what this step passes (at the step), when that is known.
   */
  private checkTemplateReads(agent: ResolvedAgent, passed: StaticType, at: PathSegment[]): void {
    if (agent.templateReads.length === 0) return;
    const declared = agent.inputType !== undefined;
    if (declared && this.readsChecked.has(agent.name)) return;
    this.readsChecked.add(agent.name);
    const type = agent.inputType ?? passed;
    const kind = type?.['type'];
    if (typeof kind !== 'string') return;
    const props = kind === 'object' ? (type!['properties'] as Record<string, unknown> | undefined) : undefined;
    if (kind === 'object' && !props) return;
    for (const read of agent.templateReads) {
      if (props && Object.hasOwn(props, read.name)) continue;
      const names = props ? Object.keys(props) : [];
      const guess = closestName(read.name, names);
      const has = props ? `it has ${names.map((n) => `"${n}"`).join(', ') || 'no properties'}` : `it is a ${kind}; a template reads such an input as {{this}}`;
      const readAt = `${read.at.file}:${read.at.line}`;
      if (declared) {
        this.diagnostics.push({ ...read.at, severity: 'error', code: 'templateInput', message: `agent "${agent.name}" reads {{${read.name}}}, which is not in its input schema; ${has}`, hint: guess ? `did you mean {{${guess}}}?` : `add "${read.name}" to the agent's input schema, or guard it with {{#if ${read.name}}}` });
      } else {
        this.error(at, 'templateInput', `agent "${agent.name}" reads {{${read.name}}} (${readAt}), but the input this step passes has no "${read.name}"; ${has}`, guess ? `did you mean {{${guess}}}?` : `pass it with input: { ${read.name}: ... }, or guard it in the template with {{#if ${read.name}}}`);
      }
    }
  }

  private bind(name: string, type: StaticType, path: PathSegment[], scope: Map<string, Binding>, env: Env): void {
    if ((RESERVED as readonly string[]).includes(name)) {
      this.error([...path, 'id'], 'reservedName', `id: "${name}" is reserved (${RESERVED.join(', ')})`, `pick another name, e.g. ${name}Result`);
      return;
    }
    if (env.names.has(name) && scope.get(name)?.line !== undefined) {
      this.error([...path, 'id'], 'duplicateName', `id: "${name}" is already used at line ${scope.get(name)!.line}`, 'give each step its own id');
      return;
    }
    scope.set(name, { type, line: this.parsed.source.position([...path, 'id']).line });
    (env.names as Map<string, Binding>).set(name, { type, line: this.parsed.source.position([...path, 'id']).line });
  }

  private collectNames(node: unknown, path: PathSegment[]): void {
    if (Array.isArray(node)) node.forEach((n, i) => this.collectNames(n, [...path, i]));
    else if (node !== null && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if (typeof o['id'] === 'string' && !this.check.allNames.has(o['id'])) this.check.allNames.set(o['id'], this.parsed.source.position([...path, 'id']).line);
      for (const [k, v] of Object.entries(o)) if (typeof v === 'object') this.collectNames(v, [...path, k]);
    }
  }

  error(path: readonly PathSegment[], code: string, message: string, hint?: string): void {
    this.diagnostics.push({ ...this.parsed.source.position(path), severity: 'error', code, message, hint });
  }

  warn(path: readonly PathSegment[], code: string, message: string, hint?: string): void {
    this.diagnostics.push({ ...this.parsed.source.position(path), severity: 'warning', code, message, hint });
  }
}

