import { type AgentClass, type Chain, type Scope, type Step, closestName, defineChain, step as core } from '@flotilla/core';
import type { ChainDiagnostic } from '../parse/chain-diagnostic';
import type { StepDecl, StepOrListDecl } from '../parse/chain-file.schema';
import type { ParsedChain } from '../parse/parse-chain';
import type { PathSegment } from '../parse/yaml-source';
import type { ResolvedAgent } from '../agents/resolved-agent';
import { chainAgentClass } from '../agents/chain-agent.factory';
import { checkTemplate, compileTemplate } from '../template/template-engine';
import { type StaticType, INTEGER, STRING, arrayOf, inferValueType, mismatches, objectOf } from '../validate/static-type';
import { compileCondition } from './condition';
import { type RefContext, compileValue, wholeReference } from './reference';
import { type Binding, type Env, ScopeChecker } from '../validate/scope-checker';

/** Names every step can read besides the outputs named with `as`. */
const RESERVED = ['input', 'value', 'item', 'index', 'verdict'] as const;

export interface CompiledChainParts {
  chain: Chain<unknown, unknown>;
  agents: AgentClass[];
  diagnostics: ChainDiagnostic[];
}

/**
 * Checks a parsed chain and turns it into core's step tree. One walk in execution order
 * does both: it knows which names are bound where (undefined and forward references,
 * which are how a cycle shows up in a step tree), the static type of every value
 * (schema mismatches between connected steps), and which steps can never run.
 */
export class ChainCompiler {
  private readonly diagnostics: ChainDiagnostic[] = [];
  private readonly used = new Set<string>();
  /** Agents whose template reads were checked against their declared input schema. */
  private readonly readsChecked = new Set<string>();
  private readonly check = new ScopeChecker((path, code, message, hint) => this.error(path, code, message, hint));

  constructor(
    private readonly parsed: ParsedChain,
    private readonly agents: ReadonlyMap<string, ResolvedAgent>,
    /** Every declared agent name, loaded or not (one that failed to load is not "unknown"). */
    private readonly declared: ReadonlySet<string> = new Set(agents.keys()),
    /** Agents bound in code: callable, not checked, never reported unused. */
    private readonly external: ReadonlySet<string> = new Set(),
  ) {}

  compile(): CompiledChainParts {
    const { data } = this.parsed;
    this.collectNames(data.steps, ['steps']);
    const names = new Map<string, Binding>([['input', { type: data.input }]]);
    const env: Env = { names, value: data.input };
    let root = this.stepOrList(data.steps, ['steps'], env, names);
    if (data.output !== undefined) {
      const out = this.valueFn(data.output, ['output'], { names, value: root.type });
      root = { step: core.sequence([root.step, core.map((v, s) => out(ctx(s, v)), { name: 'output' })]), type: root.type };
    }
    for (const name of this.declared) {
      if (!this.used.has(name)) this.warn(['agents', name], 'unusedAgent', `agent "${name}" is declared but no step calls it`, 'remove it, or call it from a step');
    }
    const agents = [...this.agents.values()].filter((a) => this.used.has(a.name)).map((a) => chainAgentClass(a.spec));
    return { chain: defineChain(data.name, root.step), agents, diagnostics: this.diagnostics };
  }

  private stepOrList(node: StepOrListDecl | StepOrListDecl[], path: PathSegment[], env: Env, scope: Map<string, Binding>): { step: Step; type: StaticType } {
    if (!Array.isArray(node)) return this.step(node, path, env, scope);
    const steps: Step[] = [];
    let value = env.value;
    node.forEach((s, i) => {
      const r = this.stepOrList(s, [...path, i], { ...env, value }, scope);
      steps.push(r.step);
      value = r.type;
    });
    return { step: core.sequence(steps), type: value };
  }

  private step(decl: StepDecl, path: PathSegment[], env: Env, scope: Map<string, Binding>): { step: Step; type: StaticType } {
    const opts = { ...(decl.name !== undefined && { name: decl.name }), ...(decl.as !== undefined && { as: decl.as }) };
    let result: { step: Step; type: StaticType };
    if ('call' in decl) result = this.call(decl, path, env, opts);
    else if ('sequence' in decl) {
      const inner = this.stepOrList(decl.sequence, [...path, 'sequence'], env, scope);
      result = { step: { ...(inner.step as Extract<Step, { kind: 'sequence' }>), ...opts }, type: inner.type };
    } else if ('fanOut' in decl) result = this.fanOut(decl.fanOut, path, env, opts);
    else if ('loop' in decl) result = this.loop(decl.loop, path, env, scope, opts);
    else if ('branch' in decl) result = this.branch(decl.branch, path, env, scope, opts);
    else if ('template' in decl) result = this.template(decl.template, path, env, opts);
    else {
      const fn = this.valueFn(decl.value, [...path, 'value'], env);
      result = { step: core.map((v, s) => fn(ctx(s, v)), opts), type: inferValueType(decl.value, (t) => this.check.refType(t, [...path, 'value'], env, false)) };
    }
    if (decl.as !== undefined) this.bind(decl.as, result.type, path, scope, env);
    return result;
  }

  private call(decl: Extract<StepDecl, { call: string }>, path: PathSegment[], env: Env, opts: { name?: string; as?: string }) {
    const agent = this.agents.get(decl.call);
    if (this.declared.has(decl.call)) this.used.add(decl.call);
    if (!agent && !this.declared.has(decl.call) && !this.external.has(decl.call)) {
      const known = [...this.declared, ...this.external];
      const guess = closestName(decl.call, known);
      this.error([...path, 'call'], 'unknownAgent', `unknown agent "${decl.call}"; declared agents: ${known.join(', ') || '(none)'}`, guess ? `did you mean "${guess}"?` : `declare it under agents: ${decl.call}: { prompt: ... }`);
    }
    let inputType = env.value;
    let input: ((v: unknown, s: Scope) => unknown) | undefined;
    if (decl.input !== undefined) {
      const fn = this.valueFn(decl.input, [...path, 'input'], env);
      input = (v, s) => fn(ctx(s, v));
      inputType = inferValueType(decl.input, (t) => this.check.refType(t, [...path, 'input'], env, false));
    }
    if (agent) this.checkTemplateReads(agent, inputType, [...path, decl.input !== undefined ? 'input' : 'call']);
    if (agent?.inputType) {
      for (const m of mismatches(inputType, agent.inputType, `input of agent "${agent.name}"`)) {
        this.error([...path, decl.input !== undefined ? 'input' : 'call'], 'schemaMismatch', `${m} (the agent's input schema, line ${agent.declaredAt.line})`, decl.input === undefined ? 'the previous step\'s output does not fit; map it with input: {...}' : 'make the input fit the agent\'s input schema');
      }
    }
    const step = core.call(decl.call, { ...opts, ...(input && { input }) });
    return { step, type: agent?.outputType };
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

  private fanOut(decl: Extract<StepDecl, { fanOut: unknown }>['fanOut'], path: PathSegment[], env: Env, opts: { name?: string; as?: string }) {
    const at = [...path, 'fanOut'];
    const overType = this.check.refType(wholeReference(decl.over) ?? decl.over, [...at, 'over'], env, true);
    if (overType && typeof overType['type'] === 'string' && overType['type'] !== 'array') {
      this.error([...at, 'over'], 'schemaMismatch', `fanOut.over: expected a list, but ${decl.over} is a ${String(overType['type'])}`, 'point over at a list, e.g. ${plan.steps}');
    }
    const over = this.valueFn(decl.over, [...at, 'over'], env);
    const rawItem = overType?.['type'] === 'array' ? (overType['items'] as StaticType) : undefined;
    const itemNames = new Map(env.names);
    itemNames.set('item', { type: rawItem });
    itemNames.set('index', { type: INTEGER });
    let itemType = rawItem;
    let shape: ((s: RefContext) => unknown) | undefined;
    if (decl.item !== undefined) {
      const itemEnv: Env = { names: itemNames, value: env.value };
      shape = this.valueFn(decl.item, [...at, 'item'], itemEnv);
      itemType = inferValueType(decl.item, (t) => this.check.refType(t, [...at, 'item'], itemEnv, false));
    }
    const childNames = new Map(env.names);
    childNames.set('item', { type: itemType });
    childNames.set('index', { type: INTEGER });
    const child = this.stepOrList(decl.step, [...at, 'step'], { names: childNames, value: itemType }, childNames);
    for (const [name, b] of childNames) if (!env.names.has(name) && name !== 'item' && name !== 'index') this.check.scoped.set(name, b.line);
    const overPath = decl.over;
    const items = (v: unknown, s: Scope): readonly unknown[] => {
      const list = over(ctx(s, v));
      if (!Array.isArray(list)) throw new TypeError(`fanOut.over ${overPath}: expected a list, got ${list === undefined ? 'nothing' : typeof list}`);
      return shape ? list.map((item, index) => shape!({ scope: s, extra: { value: v, item, index } })) : list;
    };
    return {
      step: core.fanOut({ ...opts, items, step: child.step, ...(decl.concurrency !== undefined && { concurrency: decl.concurrency }) }),
      type: arrayOf(child.type),
    };
  }

  private loop(decl: Extract<StepDecl, { loop: unknown }>['loop'], path: PathSegment[], env: Env, scope: Map<string, Binding>, opts: { name?: string; as?: string }) {
    const at = [...path, 'loop'];
    const work = this.stepOrList(decl.work, [...at, 'work'], env, scope);
    const review = this.stepOrList(decl.review, [...at, 'review'], { ...env, value: objectOf({ input: env.value, artifact: work.type, round: INTEGER }) }, scope);
    const untilEnv: Env = { names: new Map([['verdict', { type: review.type }]]), value: undefined, only: ['verdict'] };
    this.check.checkCondition(decl.until, [...at, 'until'], untilEnv);
    if (decl.until === true) this.warn([...at, 'revise'], 'unreachable', 'loop.revise never runs: until is always true', 'remove the loop, or give until a reference such as ${verdict.approved}');
    const revise = this.stepOrList(decl.revise, [...at, 'revise'], { ...env, value: objectOf({ input: env.value, artifact: work.type, verdict: review.type, round: INTEGER }) }, scope);
    for (const m of mismatches(revise.type, work.type, 'loop.revise output')) {
      this.error([...at, 'revise'], 'schemaMismatch', `${m}: revise must return what work returns (the artifact)`);
    }
    const until = compileCondition(decl.until);
    return {
      step: core.reviewLoop({
        ...opts,
        work: work.step,
        review: review.step,
        revise: revise.step,
        approved: (verdict) => until({ scope: {}, extra: { verdict } }),
        ...(decl.maxRounds !== undefined && { maxRounds: decl.maxRounds }),
      }),
      type: objectOf({ artifact: work.type, approved: { type: 'boolean' }, rounds: arrayOf(objectOf({ round: INTEGER, artifact: work.type, verdict: review.type })) }),
    };
  }

  private branch(decl: Extract<StepDecl, { branch: unknown }>['branch'], path: PathSegment[], env: Env, scope: Map<string, Binding>, opts: { name?: string; as?: string }) {
    const at = [...path, 'branch'];
    this.check.checkCondition(decl.if, [...at, 'if'], env);
    if (typeof decl.if === 'boolean') {
      const dead = decl.if ? 'else' : 'then';
      if (decl.if || decl.else !== undefined) this.warn([...at, dead], 'unreachable', `branch.${dead} never runs: the condition is always ${decl.if}`, 'remove the branch or make its condition a reference');
    }
    const then = this.stepOrList(decl.then, [...at, 'then'], env, scope);
    const otherwise = decl.else === undefined ? undefined : this.stepOrList(decl.else, [...at, 'else'], env, scope);
    const cond = compileCondition(decl.if);
    const same = JSON.stringify(then.type) === JSON.stringify(otherwise ? otherwise.type : env.value);
    return {
      step: core.branch({ ...opts, when: (v, s) => cond(ctx(s, v)), then: then.step, ...(otherwise && { otherwise: otherwise.step }) }),
      type: same ? then.type : undefined,
    };
  }

  private template(source: string, path: PathSegment[], env: Env, opts: { name?: string; as?: string }) {
    const problem = checkTemplate(source);
    if (problem) this.error([...path, 'template'], 'template', `template: ${problem.message}${problem.line ? ` (template line ${problem.line})` : ''}`);
    this.check.checkTemplateRoots(source, [...path, 'template'], env);
    const compiled = problem ? undefined : compileTemplate(source);
    return {
      step: core.map((v, s) => compiled!.text({ ...flatten(s), value: v }), opts),
      type: STRING,
    };
  }

  private valueFn(template: unknown, path: PathSegment[], env: Env): (c: RefContext) => unknown {
    const before = this.diagnostics.length;
    this.check.walkRefs(template, path, env);
    if (this.diagnostics.slice(before).some((d) => d.severity === 'error')) return () => undefined;
    return compileValue(template);
  }

  private bind(name: string, type: StaticType, path: PathSegment[], scope: Map<string, Binding>, env: Env): void {
    if ((RESERVED as readonly string[]).includes(name)) {
      this.error([...path, 'as'], 'reservedName', `as: "${name}" is reserved (${RESERVED.join(', ')})`, `pick another name, e.g. ${name}Result`);
      return;
    }
    if (env.names.has(name) && scope.get(name)?.line !== undefined) {
      this.error([...path, 'as'], 'duplicateName', `as: "${name}" is already bound at line ${scope.get(name)!.line}`, 'give each output its own name');
      return;
    }
    scope.set(name, { type, line: this.parsed.source.position([...path, 'as']).line });
    (env.names as Map<string, Binding>).set(name, { type, line: this.parsed.source.position([...path, 'as']).line });
  }

  private collectNames(node: unknown, path: PathSegment[]): void {
    if (Array.isArray(node)) node.forEach((n, i) => this.collectNames(n, [...path, i]));
    else if (node !== null && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if (typeof o['as'] === 'string' && !this.check.allNames.has(o['as'])) this.check.allNames.set(o['as'], this.parsed.source.position([...path, 'as']).line);
      for (const [k, v] of Object.entries(o)) if (typeof v === 'object') this.collectNames(v, [...path, k]);
    }
  }

  private error(path: readonly PathSegment[], code: string, message: string, hint?: string): void {
    this.diagnostics.push({ ...this.parsed.source.position(path), severity: 'error', code, message, hint });
  }

  private warn(path: readonly PathSegment[], code: string, message: string, hint?: string): void {
    this.diagnostics.push({ ...this.parsed.source.position(path), severity: 'warning', code, message, hint });
  }
}

function ctx(scope: Scope, value: unknown): RefContext {
  return { scope, extra: { value } };
}

/** The scope as one plain object (fan-out scopes inherit from the run's), for templates. */
function flatten(scope: Scope): Record<string, unknown> {
  const chain: object[] = [];
  for (let o: object | null = scope; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) chain.unshift(o);
  return Object.assign({}, ...chain) as Record<string, unknown>;
}
