import * as fs from 'node:fs';
import * as path from 'node:path';
import { FlotillaError, closestName, describeValue, expectedFromZodIssue } from '@flotilla/core';
import { LineCounter, isMap, isNode, isScalar, parseDocument } from 'yaml';
import type { z } from 'zod';
import { optionKeys } from '../kinds/endpoint-kind-registry';
import { endpointKinds } from '../kinds/endpoint-kinds';
import { AgentRouteSchema, EndpointSchema, McpServerSchema, OnDemandSchema, type RouterConfig, RouterConfigSchema, RoutingSchema } from './router-config.schema';

/** One problem in a configuration file: where, and what was expected. */
export interface ConfigProblem {
  /** JSON path such as `endpoints[1].slots` ("" for the whole file). */
  path: string;
  /** 1-based, where the YAML parser can tell. */
  line?: number;
  col?: number;
  expected: string;
}

/** Largest fleet file read, in bytes: a configuration is a few kilobytes. */
export const MAX_CONFIG_BYTES = 1_048_576;
/** Most alias (`*name`) expansions in a fleet file (anchor bombs). */
const MAX_ALIAS_COUNT = 100;

/** Reads a YAML (.yaml/.yml) or JSON file and validates it; errors are `config` FlotillaErrors naming file, path and line. */
export function loadRouterConfig(file: string): RouterConfig {
  let text: string;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw configError(file, [{ path: '', expected: `a configuration file, got ${stat.isDirectory() ? 'a directory' : 'a device, pipe or socket'}` }]);
    const size = stat.size;
    if (size > MAX_CONFIG_BYTES) throw configError(file, [{ path: '', line: 1, col: 1, expected: `a configuration file of at most ${MAX_CONFIG_BYTES} bytes, got ${size} bytes` }]);
    text = fs.readFileSync(file, 'utf8');
  } catch (cause) {
    if (FlotillaError.is(cause)) throw cause;
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
  // A NUL never occurs in YAML or JSON text: refuse a binary file before any of it is echoed.
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    const pos = lineCol(text, nul);
    throw configError(file, [{ path: '', ...pos, expected: 'a YAML or JSON text file, got binary content (a NUL byte)' }]);
  }
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = lines.linePos(e.pos[0]);
    const what = e.code === 'DUPLICATE_KEY' ? 'each key once (a duplicate key)' : `valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'} (${e.message.split('\n')[0]})`;
    throw configError(file, [{ path: '', line: pos.line, col: pos.col, expected: what }]);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch {
    // The yaml library throws when aliases expand past the count (or refer to themselves).
    throw configError(file, [{ path: '', line: 1, col: 1, expected: `aliases (*name) that expand at most ${MAX_ALIAS_COUNT} times (anchors that expand into each other are refused)` }]);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw configError(file, [{ path: '', line: 1, col: 1, expected: `a mapping with endpoints: [...] (and optionally agents:, routing:), got ${value === null || value === undefined ? 'an empty file' : describeValue(value)}` }]);
  }
  const result = RouterConfigSchema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const issues = result.error.issues;
  // "endpoints: required" next to "unknown key endpoint (did you mean endpoints?)" says one thing twice: keep the typo.
  const guessed = new Set(issues.flatMap((i) => (i.code === 'unrecognized_keys' ? i.keys.map((k) => jsonPath([...i.path, closestName(k, knownKeys(i.path, value)) ?? k])) : [])));
  const problems = issues
    .filter((i) => !(i.code === 'invalid_type' && i.input === undefined && guessed.has(jsonPath(i.path))))
    .map((issue) => {
      const p: ConfigProblem = { path: jsonPath(issue.path), expected: expectation(issue, value) };
      // An unknown key is shown where the key is, not where its mapping starts.
      const node = issue.code === 'unrecognized_keys' ? (keyNode(doc, issue.path, issue.keys[0]!) ?? nodeAt(doc, issue.path)) : nodeAt(doc, issue.path);
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
    result.error.issues.map((i) => ({ path: jsonPath(i.path), expected: expectation(i, value) })),
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

function keyNode(doc: ReturnType<typeof parseDocument>, parts: readonly PropertyKey[], key: string): { range?: [number, number, number] | null } | undefined {
  const map = parts.length === 0 ? doc.contents : doc.getIn(parts as (string | number)[], true);
  if (!isMap(map)) return undefined;
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
  return pair && isNode(pair.key) ? (pair.key as { range?: [number, number, number] | null }) : undefined;
}

/** Fields whose values are never echoed: someone may have pasted a key where its variable's name belongs. */
const SECRET_FIELDS = new Set(['apiKeyEnv']);

function expectation(issue: z.core.$ZodIssue, root: unknown): string {
  if (issue.code === 'unrecognized_keys') return issue.keys.map((k) => unknownKey(k, issue.path, root)).join('; ');
  return expectedFromZodIssue(issue, { hideInput: SECRET_FIELDS.has(String(issue.path.at(-1))) });
}

function unknownKey(key: string, at: readonly PropertyKey[], root: unknown): string {
  const known = knownKeys(at, root);
  const guess = closestName(key, known);
  return `no key ${JSON.stringify(key)} (unknown${guess ? `; did you mean "${guess}"?` : known.length ? `; known keys: ${known.join(', ')}` : ''})`;
}

/** The keys the mapping at `at` may have; an endpoint's `options` are its kind's. */
function knownKeys(at: readonly PropertyKey[], root: unknown): string[] {
  const last = at.at(-1);
  const parent = at.at(-2);
  if (at.length === 0) return Object.keys(RouterConfigSchema.shape);
  if (typeof last === 'number' && parent === 'endpoints') return Object.keys(EndpointSchema.shape);
  if (last === 'options' && typeof parent === 'number') {
    const kind = endpointKinds.find(String((root as { endpoints?: { kind?: unknown }[] }).endpoints?.[parent]?.kind));
    return kind ? optionKeys(kind) : [];
  }
  if (last === 'onDemand') return Object.keys(OnDemandSchema.shape);
  if (last === 'routing') return Object.keys(RoutingSchema.shape);
  if (parent === 'agents') return Object.keys(AgentRouteSchema.shape);
  if (parent === 'mcp') return Object.keys(McpServerSchema.shape);
  return [];
}

function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, col: before.at(-1)!.length + 1 };
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
    // A stdio server starts in this file's folder unless told otherwise, so its relative arguments are the file's.
    mcp: Object.fromEntries(Object.entries(config.mcp).map(([name, s]) => [name, s.command === undefined ? s : { ...s, cwd: s.cwd === undefined ? dir : abs(s.cwd) }])),
  };
}
