import * as fs from 'node:fs';
import * as path from 'node:path';
import { FlotillaError } from '@flotilla/core';
import { LineCounter, parseDocument, isNode } from 'yaml';
import type { z } from 'zod';
import { type RouterConfig, RouterConfigSchema } from './router-config.schema';

/** One problem in a configuration file: where, and what was expected. */
export interface ConfigProblem {
  /** JSON path such as `endpoints[1].slots` ("" for the whole file). */
  path: string;
  /** 1-based, where the YAML parser can tell. */
  line?: number;
  col?: number;
  expected: string;
}

/** Reads a YAML (.yaml/.yml) or JSON file and validates it; errors are `config` FlotillaErrors naming file, path and line. */
export function loadRouterConfig(file: string): RouterConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (cause) {
    throw new FlotillaError('config', `${file}: cannot read the configuration file (${(cause as NodeJS.ErrnoException).code ?? cause})`, {
      cause,
      details: { file },
    });
  }
  const config = parseRouterConfig(text, file);
  return resolveRelativePaths(config, path.dirname(path.resolve(file)));
}

/** Validates configuration text; JSON is YAML, so one parser serves both and gives line numbers. */
export function parseRouterConfig(text: string, file = '<config>'): RouterConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = lines.linePos(e.pos[0]);
    throw configError(file, [{ path: '', line: pos.line, col: pos.col, expected: `valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'} (${e.code})` }]);
  }
  const result = RouterConfigSchema.safeParse(doc.toJS(), { reportInput: true });
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const p: ConfigProblem = { path: jsonPath(issue.path), expected: expectation(issue) };
    const node = nodeAt(doc, issue.path);
    if (node?.range) {
      const pos = lines.linePos(node.range[0]);
      p.line = pos.line;
      p.col = pos.col;
    }
    return p;
  });
  throw configError(file, problems);
}

/** Validates an object already in memory (tests, programmatic fleets). */
export function validateRouterConfig(value: unknown, where = '<config>'): RouterConfig {
  const result = RouterConfigSchema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  throw configError(
    where,
    result.error.issues.map((i) => ({ path: jsonPath(i.path), expected: expectation(i) })),
  );
}

function configError(file: string, problems: ConfigProblem[]): FlotillaError {
  const lines = problems.map((p) => `${file}${p.line ? `:${p.line}:${p.col}` : ''}: ${p.path || '(top level)'}: expected ${p.expected}`);
  return new FlotillaError('config', lines.join('\n'), { details: { file, problems } });
}

function jsonPath(parts: readonly PropertyKey[]): string {
  let out = '';
  for (const p of parts) out += typeof p === 'number' ? `[${p}]` : /^[A-Za-z_$][\w$]*$/.test(String(p)) ? `${out ? '.' : ''}${String(p)}` : `[${JSON.stringify(String(p))}]`;
  return out;
}

function nodeAt(doc: ReturnType<typeof parseDocument>, parts: readonly PropertyKey[]): { range?: [number, number, number] | null } | undefined {
  for (let n = parts.length; n >= 0; n--) {
    const node = doc.getIn(parts.slice(0, n) as (string | number)[], true);
    if (isNode(node)) return node as { range?: [number, number, number] | null };
  }
  return undefined;
}

/** Fields whose values are never echoed: someone may have pasted a key where its variable's name belongs. */
const SECRET_FIELDS = new Set(['apiKeyEnv']);

function expectation(issue: z.core.$ZodIssue): string {
  const secret = SECRET_FIELDS.has(String(issue.path.at(-1)));
  const got = 'input' in issue && issue.input !== undefined && !secret ? `, got ${describe(issue.input)}` : '';
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? `${article(issue.expected)} (required)` : `${article(issue.expected)}${got}`;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}${got}`;
    case 'too_small':
      return issue.origin === 'array' ? `at least ${issue.minimum} item(s)` : issue.origin === 'string' ? 'a non-empty string' : `a number >= ${issue.minimum}${got}`;
    case 'too_big':
      return `a value <= ${issue.maximum}${got}`;
    case 'unrecognized_keys':
      return `no key ${issue.keys.map((k) => JSON.stringify(k)).join(', ')} (unknown; check the spelling)`;
    case 'invalid_format':
      return issue.format === 'url' ? `an absolute URL such as http://127.0.0.1:11434${got}` : issue.format === 'regex' ? `${issue.message}${got}` : `${issue.format}${got}`;
    default:
      return issue.message;
  }
}

function article(type: string): string {
  if (type === 'int') return 'a whole number';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return typeof v === 'string' ? JSON.stringify(v) : `${typeof v} ${String(v)}`;
}

function resolveRelativePaths(config: RouterConfig, dir: string): RouterConfig {
  const abs = (p: string) => (path.isAbsolute(p) ? p : path.resolve(dir, p));
  return {
    ...config,
    endpoints: config.endpoints.map((e) => ({
      ...e,
      ...(e.cassettes ? { cassettes: e.cassettes.map(abs) } : {}),
      ...(e.modelPaths ? { modelPaths: Object.fromEntries(Object.entries(e.modelPaths).map(([k, v]) => [k, abs(v)])) } : {}),
      ...(e.onDemand?.cwd ? { onDemand: { ...e.onDemand, cwd: abs(e.onDemand.cwd) } } : {}),
    })),
  };
}
