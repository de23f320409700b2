import { z } from 'zod';
import { closestName, describeValue, expectedFromZodIssue } from '@flotilla/core';
import type { ChainDiagnostic } from './chain-diagnostic';
import {
  type AgentDecl,
  CONDITION_FORMS,
  type ChainFile,
  InlineAgentSchema,
  PromptFileAgentSchema,
  STEP_KINDS,
  type StepDecl,
  stepKindSchemas,
} from './chain-file.schema';
import type { SourceLimits } from './source-limits';
import { type PathSegment, YamlSource } from './yaml-source';

/** A chain file that passed the schema: its data, and where each part of it is. */
export interface ParsedChain {
  file: string;
  data: ChainFile;
  source: YamlSource;
}

const TopLevel = z.strictObject({
  $schema: z.string().optional(),
  version: z.literal(1).optional(),
  name: z.string().min(1),
  description: z.string().optional(),
  input: z.record(z.string(), z.unknown()).optional(),
  output: z.unknown().optional(),
  modelAliases: z.record(z.string(), z.string().min(1)).optional(),
  agents: z.record(z.string(), z.unknown()),
  steps: z.unknown(),
});
const SHALLOW = stepKindSchemas(z.unknown());
const TOP_KEYS = Object.keys(TopLevel.shape);

/** Parses and schema-checks a chain file's text (YAML or JSON). Never throws on bad input. */
export function parseChain(text: string, file: string, limits?: SourceLimits): { chain?: ParsedChain; diagnostics: ChainDiagnostic[] } {
  const { source, diagnostics } = YamlSource.parse(text, file, limits);
  if (!source) return { diagnostics };
  const out: ChainDiagnostic[] = [];
  const report = (path: readonly PathSegment[], code: string, message: string, hint?: string, key?: string) =>
    out.push({ ...source.position(path, key), severity: 'error', code, message, hint });
  const check = <T>(schema: z.ZodType<T>, value: unknown, path: PathSegment[], keys: readonly string[], skip: (p: PathSegment[]) => boolean = () => false): T | undefined => {
    const r = schema.safeParse(value, { reportInput: true });
    if (r.success) return r.data;
    for (const issue of r.error.issues) {
      const at = [...path, ...(issue.path as PathSegment[])];
      if (skip(issue.path as PathSegment[])) continue;
      reportIssue(issue, at, keys, report);
    }
    return undefined;
  };

  if (typeof source.value !== 'object' || source.value === null || Array.isArray(source.value)) {
    const got = source.value === null || source.value === undefined ? 'an empty file' : describeValue(source.value);
    report([], 'schema', `a chain file must be a mapping with name, agents and steps; got ${got}`, 'start from: name: my-chain, agents: { ... }, steps: [ ... ] (see libs/chain/README.md)');
    return { diagnostics: out };
  }
  const top = check(TopLevel, source.value, [], TOP_KEYS);
  if (!top) return { diagnostics: foldTypos(out) };
  for (const [name, decl] of Object.entries(top.agents)) checkAgent(name, decl, ['agents', name], check, report);
  checkStepOrList(top.steps, ['steps'], check, report, 0);
  if (out.length > 0) return { diagnostics: foldTypos(out) };
  return { chain: { file, data: top as ChainFile, source }, diagnostics: [] };
}

type Check = <T>(schema: z.ZodType<T>, value: unknown, path: PathSegment[], keys: readonly string[]) => T | undefined;
type Report = (path: readonly PathSegment[], code: string, message: string, hint?: string, key?: string) => void;

function checkAgent(name: string, decl: unknown, path: PathSegment[], check: Check, report: Report): AgentDecl | undefined {
  if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) report(path.slice(0, -1), 'badName', `agent name "${name}": expected letters, digits, _ and -, not starting with a digit or -`, undefined, name);
  if (typeof decl !== 'object' || decl === null || Array.isArray(decl)) {
    report(path, 'schema', `agent "${name}": expected a mapping with "prompt" (inline agent) or "file" (a .prompt file)`);
    return undefined;
  }
  if ('file' in decl) return check(PromptFileAgentSchema, decl, path, Object.keys(PromptFileAgentSchema.shape));
  if (!('prompt' in decl)) {
    report(path, 'schema', `agent "${name}": expected "prompt" (the user prompt template) or "file" (a Dotprompt .prompt file)`, 'add prompt: "..." or file: ./name.prompt');
    return undefined;
  }
  return check(InlineAgentSchema, decl, path, Object.keys(InlineAgentSchema.shape));
}

const MAX_STEP_DEPTH = 32;

function checkStepOrList(value: unknown, path: PathSegment[], check: Check, report: Report, depth: number): void {
  if (depth > MAX_STEP_DEPTH) {
    report(path, 'tooDeep', `steps nested deeper than ${MAX_STEP_DEPTH} levels`, 'flatten the chain');
    return;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) report(path, 'schema', 'expected at least one step, got an empty list');
    value.forEach((s, i) => checkStep(s, [...path, i], check, report, depth + 1));
  } else checkStep(value, path, check, report, depth + 1);
}

function checkStep(value: unknown, path: PathSegment[], check: Check, report: Report, depth: number): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    report(path, 'schema', `expected a step (a mapping with one of ${STEP_KINDS.join(', ')}), got ${describe(value)}`);
    return;
  }
  const keys = Object.keys(value);
  const kinds = STEP_KINDS.filter((k) => k in value);
  if (kinds.length !== 1) {
    const guess = keys.map((k) => closestName(k, STEP_KINDS)).find((k) => k !== undefined);
    report(
      path,
      'unknownStepKind',
      kinds.length === 0
        ? `expected a step with one of ${STEP_KINDS.join(', ')}; got keys ${keys.map((k) => `"${k}"`).join(', ') || '(none)'}`
        : `a step has exactly one kind; got ${kinds.join(' and ')}`,
      kinds.length === 0 ? (guess ? `did you mean "${guess}"?` : undefined) : 'split it into a sequence of steps',
    );
    return;
  }
  const kind = kinds[0]!;
  const schema = SHALLOW[kind] as z.ZodObject;
  const step = check(schema, value, path, Object.keys(schema.shape)) as StepDecl | undefined;
  if (!step) return;
  if ('sequence' in step) step.sequence.forEach((s, i) => checkStepOrList(s, [...path, 'sequence', i], check, report, depth));
  else if ('fanOut' in step) checkStepOrList(step.fanOut.step, [...path, 'fanOut', 'step'], check, report, depth);
  else if ('loop' in step) for (const k of ['work', 'review', 'revise'] as const) checkStepOrList(step.loop[k], [...path, 'loop', k], check, report, depth);
  else if ('branch' in step) {
    checkStepOrList(step.branch.then, [...path, 'branch', 'then'], check, report, depth);
    if (step.branch.else !== undefined) checkStepOrList(step.branch.else, [...path, 'branch', 'else'], check, report, depth);
  }
}

function reportIssue(issue: z.core.$ZodIssue, path: PathSegment[], keys: readonly string[], report: Report): void {
  const where = path.length ? path.join('.') : 'chain file';
  if (issue.code === 'unrecognized_keys') {
    for (const key of issue.keys) {
      const guess = closestName(key, keys);
      report(path, 'unknownKey', `${where}: unknown key "${key}"; expected one of ${keys.join(', ')}`, guess ? `did you mean "${guess}"?` : 'remove it', key);
    }
    return;
  }
  const input = 'input' in issue ? issue.input : undefined;
  const condition = isConditionPath(path);
  if (input === undefined && path.length > 0 && issue.code !== 'custom') {
    const name = String(path.at(-1));
    const expected = condition ? `a condition: ${CONDITION_FORMS}` : expectedFromZodIssue(issue).replace(/ \(required\)$/, '');
    report(path.slice(0, -1), 'missingKey', `${path.slice(0, -1).join('.') || 'chain file'}: missing required key "${name}" (${expected})`, `add ${name}: ...`);
    return;
  }
  if (condition) {
    report(path, 'badCondition', `${where}: expected a condition: ${CONDITION_FORMS}; got ${describeValue(input)}`, 'conditions compare or test values; they are not expressions (no >, <, && or ||)');
    return;
  }
  report(path, 'schema', `${where}: expected ${expectedFromZodIssue(issue)}`);
}

/** Whether a path points into a branch's `if` or a loop's `until`. */
function isConditionPath(path: readonly PathSegment[]): boolean {
  return path.some((seg, i) => (seg === 'if' && path[i - 1] === 'branch') || (seg === 'until' && path[i - 1] === 'loop'));
}

/** "missing steps" next to "unknown stpes (did you mean steps?)" says the same thing twice: keep the typo. */
function foldTypos(list: ChainDiagnostic[]): ChainDiagnostic[] {
  const suggested = new Set(list.filter((d) => d.code === 'unknownKey' && d.hint?.startsWith('did you mean')).map((d) => /"([^"]+)"/.exec(d.hint!)![1]));
  return list.filter((d) => !(d.code === 'missingKey' && suggested.has(/missing required key "([^"]+)"/.exec(d.message)?.[1] ?? '')));
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  return `${typeof value} ${JSON.stringify(value).slice(0, 40)}`;
}
