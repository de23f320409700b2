import type { Step, StepContext, StepNode } from '@flotilla/core';
import type { z } from 'zod';
import { Errors, closestName } from '@flotilla/core';
import type { ConditionDecl, StepDecl } from '../parse/chain-file.schema';
import type { PathSegment } from '../parse/yaml-source';
import type { ResolvedAgent } from '../agents/resolved-agent';
import type { TemplateAgentSpec } from '../agents/chain-agent';
import type { CompiledTemplate } from '../template/template-engine';
import type { ConditionFn } from '../compile/condition';
import type { RefContext, ValueFn } from '../compile/reference';
import type { StaticType } from '../validate/static-type';
import type { Binding, Env } from '../validate/scope-checker';

/** A compiled step and the static type of its output (undefined when unknown). */
export interface CompiledStep {
  step: Step<unknown, unknown>;
  type: StaticType;
}

/** Where a step is: its path in the file, what it sees, and the scope its id binds in. */
export interface StepSite {
  readonly path: PathSegment[];
  readonly env: Env;
  readonly scope: Map<string, Binding>;
}

/** What a kind's compiler may ask of the chain compiler (checks report file:line:col). */
export interface StepCompiler {
  /** Nested steps (one step or a list, which is a sequence) at `path`. */
  steps(decl: unknown, path: PathSegment[], env: Env, scope: Map<string, Binding>): CompiledStep;
  /** A list of steps at `path`, each getting the previous one's output; the type is the last one's. */
  list(decls: readonly unknown[], path: PathSegment[], env: Env, scope: Map<string, Binding>): { steps: StepNode[]; type: StaticType };
  /** A value template (`${...}` references checked) as a function and its static type. */
  value(template: unknown, path: PathSegment[], env: Env): { fn: ValueFn; type: StaticType };
  /** The static type of one reference, such as `${plan.steps}`, checked. */
  referenceType(text: string, path: PathSegment[], env: Env): StaticType;
  /** A condition, checked and compiled. */
  condition(c: ConditionDecl, path: PathSegment[], env: Env): ConditionFn;
  /** A text template, checked (syntax, names it reads) and compiled; undefined when it is wrong. */
  template(source: string, path: PathSegment[], env: Env): CompiledTemplate | undefined;
  /** The declared agent a step calls (marked used) and its spec; undefined, and reported, when unknown. */
  agent(name: string, path: PathSegment[]): { resolved: ResolvedAgent; spec: TemplateAgentSpec } | undefined;
  /** Checks what a call passes against the agent's input schema and the names its templates read. */
  checkAgentInput(agent: ResolvedAgent, passed: StaticType, path: PathSegment[], viaInput: boolean): void;
  /** Names bound inside a fan-out branch are visible only there: marks the ones `names` adds over `outer`. */
  scopeBranch(names: ReadonlyMap<string, Binding>, outer: Env): void;
  error(path: readonly PathSegment[], code: string, message: string, hint?: string): void;
  warn(path: readonly PathSegment[], code: string, message: string, hint?: string): void;
}

/**
 * One kind of chain-file step: its key, the schema of a step of its kind, where its nested
 * steps are, and how it compiles to a core step. Registering one (`fileStepKinds.register`, or
 * `loadChain`'s `stepKinds`) is all a new kind needs; the parser, the compiler and the
 * published JSON Schema read the registry.
 */
export interface FileStepKind {
  /** The key that names the kind in a step (`call`, `fanOut`, `reviewLoop`, ...). */
  readonly key: string;
  /** The schema of a whole step of this kind: a strict object with `stepBase` and the kind's keys. */
  schema(child: z.ZodType): z.ZodObject;
  /** Paths, from the step, of its nested steps (each one step or a list). */
  children(decl: StepDecl): PathSegment[][];
  compile(decl: StepDecl, site: StepSite, compiler: StepCompiler): CompiledStep;
}

/** The kinds a chain file may use, by key. */
export class FileStepKinds {
  private readonly kinds = new Map<string, FileStepKind>();

  constructor(kinds: readonly FileStepKind[] = []) {
    for (const k of kinds) this.register(k);
  }

  register(kind: FileStepKind): this {
    if (this.kinds.has(kind.key)) throw Errors.config(`step kind "${kind.key}"`, 'a key no other step kind uses');
    this.kinds.set(kind.key, kind);
    return this;
  }

  /** These kinds plus `more` (a new registry; this one is unchanged). */
  with(more: readonly FileStepKind[]): FileStepKinds {
    return new FileStepKinds([...this.kinds.values(), ...more]);
  }

  get(key: string): FileStepKind | undefined {
    return this.kinds.get(key);
  }

  keys(): string[] {
    return [...this.kinds.keys()];
  }

  closest(key: string): string | undefined {
    return closestName(key, this.keys());
  }
}

/** A step function over the chain language's references: the value and the run's scope. */
export function refFn<R>(fn: (c: RefContext) => R): (value: unknown, ctx: StepContext) => R {
  return (value, ctx) => fn({ scope: ctx.vars, extra: { value } });
}
