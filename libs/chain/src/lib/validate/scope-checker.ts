import { closestName } from '@flotilla/core';
import type { ConditionDecl } from '../parse/chain-file.schema';
import type { PathSegment } from '../parse/yaml-source';
import { parseReference, referencesIn, wholeReference } from '../compile/reference';
import { templateRootNames } from '../template/template-engine';
import { type StaticType, inferValueType, typeAt } from './static-type';

export interface Binding {
  type: StaticType;
  /** Where the name was bound (for messages). */
  line?: number;
}

/** What a step can see: names bound before it, and the type of its incoming value. */
export interface Env {
  names: ReadonlyMap<string, Binding>;
  value: StaticType;
  /** Inside a loop's `until`: only `verdict` exists. */
  only?: readonly string[];
}

export type Report = (path: readonly PathSegment[], code: string, message: string, hint?: string) => void;

/**
 * Checks what references, conditions and templates read against the names bound where
 * they are: syntax, unbound names (with what is available and the closest one), outputs
 * of later steps (forward references, how a cycle shows in a step tree), names scoped to
 * fan-out branches, and property paths the producing step's schema lacks.
 */
export class ScopeChecker {
  /** Every `as` name in the file and its line, to tell a forward reference from a typo. */
  readonly allNames = new Map<string, number>();
  /** Names bound inside fan-out branches: visible only there. */
  readonly scoped = new Map<string, number | undefined>();

  constructor(private readonly report: Report) {}

  /** Names a template reads from the scope (`{{plan.steps}}`, `{{#each results}}`) must be bound. */
  checkTemplateRoots(source: string, path: PathSegment[], env: Env): void {
    let roots: { name: string }[];
    try {
      roots = templateRootNames(source);
    } catch {
      return; // a template that does not parse is reported by checkTemplate
    }
    for (const name of new Set(roots.map((r) => r.name))) {
      if (name === 'value' || name === 'this' || env.names.has(name)) continue;
      this.checkRoot(name, path, env);
    }
  }

  checkCondition(c: ConditionDecl, path: PathSegment[], env: Env): void {
    if (typeof c === 'boolean') return;
    if (typeof c === 'string') {
      this.refType(wholeReference(c) ?? c, path, env, true);
      return;
    }
    if ('not' in c) this.checkCondition(c.not, [...path, 'not'], env);
    else if ('all' in c) c.all.forEach((x, i) => this.checkCondition(x, [...path, 'all', i], env));
    else if ('any' in c) c.any.forEach((x, i) => this.checkCondition(x, [...path, 'any', i], env));
    else c.equals.forEach((x, i) => inferValueType(x, (t) => this.refType(t, [...path, 'equals', i], env, false)));
  }

  walkRefs(template: unknown, path: PathSegment[], env: Env): void {
    if (typeof template === 'string') for (const r of referencesIn(template)) this.refType(r.text, path, env, true);
    else if (Array.isArray(template)) template.forEach((t, i) => this.walkRefs(t, [...path, i], env));
    else if (template !== null && typeof template === 'object') for (const [k, v] of Object.entries(template)) this.walkRefs(v, [...path, k], env);
  }

  reported = new Set<string>();

  /** The static type of `${text}`, reporting bad syntax, unbound names and missing properties (once per place). */
  refType(text: string, path: PathSegment[], env: Env, report: boolean): StaticType {
    const key = `${path.join('.')}|${text}`;
    const quiet = !report || this.reported.has(key);
    this.reported.add(key);
    const ref = parseReference(text);
    if (typeof ref === 'string') {
      if (!quiet) this.report(path, 'badReference', ref, 'references are paths only: ${name.property.0}');
      return undefined;
    }
    const binding = ref.root === 'value' && !env.only ? { type: env.value } : env.names.get(ref.root);
    if (!binding) {
      if (!quiet) this.checkRoot(ref.root, path, env);
      return undefined;
    }
    const found = typeAt(binding.type, ref.path, ref.root);
    if ('error' in found) {
      if (!quiet) this.report(path, 'badReference', `\${${ref.text}}: ${found.error}`, found.hint);
      return undefined;
    }
    return found.type;
  }

  checkRoot(root: string, path: PathSegment[], env: Env): void {
    if (env.only) {
      this.report(path, 'undefinedReference', `"${root}" is not available here; a loop's until sees only \${verdict} (the review step's output)`, closestName(root, env.only) ? `did you mean \${${closestName(root, env.only)}}?` : 'use ${verdict.<field>}');
      return;
    }
    if (this.scoped.has(root)) {
      this.report(path, 'scopedReference', `"${root}" is bound inside a fan-out branch (line ${this.scoped.get(root)}) and is visible only there; outside, the fan-out's output is the list of its branches' outputs`, `give the fan-out an id and read that list`);
      return;
    }
    const later = this.allNames.get(root);
    if (later !== undefined) {
      this.report(path, 'forwardReference', `"${root}" is the output of a step that has not run yet at this point (the step with id: ${root} at line ${later}); a step reads only outputs of steps before it, so this is a cycle or a forward reference`, 'move the step that produces it earlier, or read something already available');
      return;
    }
    const known = [...env.names.keys(), ...(env.only ? [] : ['value'])];
    const guess = closestName(root, known);
    this.report(path, 'undefinedReference', `undefined reference "${root}"; available here: ${known.join(', ')}`, guess ? `did you mean \${${guess}}?` : `give the step whose output you mean id: ${root}`);
  }

}
