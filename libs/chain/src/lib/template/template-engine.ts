import { Dotprompt } from 'dotprompt';
import type { ChatMessage } from '@flotilla/core';

/** The part of the Handlebars environment used here (dotprompt's own, with its helpers). */
interface HandlebarsEnv {
  parse(template: string): HbNode;
  compile(template: string, options: object): (context: unknown, options?: object) => string;
  precompile(template: string, options: object): unknown;
  unregisterHelper(name: string): void;
}

/**
 * Helpers a template may call: Handlebars' block helpers (if, unless, each, with, lookup),
 * dotprompt's (role, json, ifEquals, unlessEquals; history, media and section are refused
 * by the validator), and `inc` for 1-based numbering. No partials, no other helpers:
 * `knownHelpersOnly` makes anything else a compile error, so a template cannot call code.
 */
const FLOTILLA_HELPERS = {
  inc: (n: unknown) => (typeof n === 'number' ? n + 1 : ''),
};
export const TEMPLATE_HELPERS = ['if', 'unless', 'each', 'with', 'lookup', 'role', 'json', 'ifEquals', 'unlessEquals', ...Object.keys(FLOTILLA_HELPERS)] as const;
const UNSUPPORTED_MARKERS = ['history', 'media', 'section'] as const;

const ROLE_MARKER = /<<<dotprompt:role:([a-z]+)>>>/g;
const ROLES: Readonly<Record<string, ChatMessage['role']>> = { user: 'user', model: 'assistant', assistant: 'assistant', system: 'system' };

let shared: HandlebarsEnv | undefined;

/** The parts of Handlebars' AST that name data. */
interface HbNode {
  type: string;
  body?: HbNode[];
  path?: HbNode;
  params?: HbNode[];
  hash?: { pairs: { value: HbNode }[] };
  program?: HbNode;
  inverse?: HbNode;
  parts?: string[];
  depth?: number;
  data?: boolean;
  original?: string;
  loc?: { start: { line: number } };
}

const CONTEXT_HELPERS = new Set(['each', 'with']);

/**
 * The names a template reads from its root context (`{{plan.title}}`, `{{#each steps}}`,
 * `{{../value}}` from inside a block), with their template lines: what the validator
 * checks against the names bound in the chain. Names read inside `each` / `with` blocks
 * belong to the items and are not returned. `guarded` marks a name read only under a
 * condition (the test of an `{{#if}}` / `{{#unless}}` block, or inside either branch): the
 * template itself allows for it being absent, as Dotprompt prompts do for optional inputs.
 */
export function templateRootNames(source: string): { name: string; line: number; guarded: boolean }[] {
  const out: { name: string; line: number; guarded: boolean }[] = [];
  const path = (node: HbNode | undefined, level: number, guarded: boolean) => {
    if (!node) return;
    if (node.type === 'SubExpression') {
      call(node, level, guarded);
      return;
    }
    if (node.type !== 'PathExpression' || node.data || !node.parts?.length) return;
    if ((node.depth ?? 0) === level) out.push({ name: node.parts[0]!, line: node.loc?.start.line ?? 1, guarded });
  };
  const call = (node: HbNode, level: number, guarded: boolean) => {
    const isHelper = (node.params?.length ?? 0) > 0 || (node.hash?.pairs.length ?? 0) > 0 || node.type === 'BlockStatement';
    if (!isHelper) path(node.path, level, guarded);
    for (const p of node.params ?? []) path(p, level, guarded);
    for (const pair of node.hash?.pairs ?? []) path(pair.value, level, guarded);
  };
  const walk = (node: HbNode | undefined, level: number, guarded: boolean) => {
    if (!node) return;
    if (node.type === 'Program') for (const child of node.body ?? []) walk(child, level, guarded);
    else if (node.type === 'MustacheStatement' || node.type === 'SubExpression') call(node, level, guarded);
    else if (node.type === 'BlockStatement') {
      const inside = guarded || GUARD_HELPERS.has(node.path?.original ?? '');
      call(node, level, inside);
      const inner = CONTEXT_HELPERS.has(node.path?.original ?? '') ? level + 1 : level;
      walk(node.program, inner, inside);
      walk(node.inverse, level, inside);
    }
  };
  walk(env().parse(source), 0, false);
  return out;
}

const GUARD_HELPERS = new Set(['if', 'unless', 'ifEquals', 'unlessEquals']);

/**
 * The Handlebars environment of a private `Dotprompt` instance: the exact helpers and
 * compile options dotprompt renders `.prompt` files with, used synchronously (the engine
 * builds prompts synchronously; dotprompt's `render()` is async only to resolve
 * metadata, which the loader does once, ahead of time). The spec checks that this
 * renders what `Dotprompt.render()` renders.
 */
function env(): HandlebarsEnv {
  if (shared) return shared;
  const dp = new Dotprompt({ helpers: FLOTILLA_HELPERS });
  const hb = Reflect.get(dp, 'handlebars') as HandlebarsEnv | undefined;
  if (!hb || typeof hb.compile !== 'function' || typeof hb.precompile !== 'function') {
    throw new Error('dotprompt no longer exposes its Handlebars environment; pin dotprompt 1.1.x or update libs/chain/src/lib/template/template-engine.ts');
  }
  hb.unregisterHelper('log');
  shared = hb;
  return hb;
}

const COMPILE_OPTIONS = {
  knownHelpers: { ...Object.fromEntries(TEMPLATE_HELPERS.map((h) => [h, true])), log: false, history: true, media: true, section: true },
  knownHelpersOnly: true,
  noEscape: true,
  strict: false,
};

/** A checked, compiled template. */
export interface CompiledTemplate {
  readonly source: string;
  /** The text, rendered over `context` (`@`-data such as `@model` available too). */
  text(context: unknown, data?: Record<string, unknown>): string;
  /** The text split into chat messages at `{{role "..."}}` markers (first message: `defaultRole`). */
  messages(context: unknown, data?: Record<string, unknown>, defaultRole?: ChatMessage['role']): ChatMessage[];
}

/**
 * Checks a template without rendering it; returns the problem (with the template's own
 * 1-based line when Handlebars gives one) or undefined.
 */
export function checkTemplate(source: string): { message: string; line?: number } | undefined {
  for (const marker of UNSUPPORTED_MARKERS) {
    const m = new RegExp(`\\{\\{\\s*${marker}\\b`).exec(source);
    if (m) return { message: `the {{${marker}}} helper is not supported in Flotilla agents (messages are text)`, line: lineOf(source, m.index) };
  }
  const partial = /\{\{~?\s*#?\s*[>*]/.exec(source);
  if (partial) return { message: 'partials and inline partials ({{> name}}, {{#*inline}}) are not supported', line: lineOf(source, partial.index) };
  try {
    env().precompile(source, COMPILE_OPTIONS);
    return undefined;
  } catch (e) {
    const message = (e as Error).message;
    const line = /line (\d+)/.exec(message)?.[1] ?? (e as { lineNumber?: number }).lineNumber;
    const unknown = /unknown helper (\S+)/.exec(message)?.[1];
    return {
      message: unknown ? `unknown helper "${unknown}"; templates may use ${TEMPLATE_HELPERS.join(', ')}` : `template does not parse: ${describeParseError(message, source)}`,
      line: line !== undefined ? Number(line) : unknown ? lineOf(source, Math.max(0, source.search(new RegExp(`\\{\\{[#~\\s]*${unknown.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`)))) : undefined,
    };
  }
}

/** Handlebars' grammar tokens, as a template's author knows them. */
const TOKENS: Readonly<Record<string, string>> = {
  CLOSE: '}}',
  CLOSE_UNESCAPED: '}}}',
  CLOSE_RAW_BLOCK: '}}}}',
  OPEN: '{{',
  OPEN_BLOCK: '{{#',
  OPEN_ENDBLOCK: '{{/',
  OPEN_INVERSE: '{{^',
  OPEN_UNESCAPED: '{{{',
  EOF: 'the end of the template',
  ID: 'a name',
  STRING: 'a quoted string',
  NUMBER: 'a number',
  INVALID: 'a character that cannot be there',
  CONTENT: 'text',
};

/**
 * Handlebars says "Parse error on line 1:" and a jison token list on the lines after;
 * only its message carries them (parse errors have no structured fields), so they are
 * read from it here, where the template engine wraps its dependency, and said in words.
 */
function describeParseError(message: string, source: string): string {
  const crossed = /^(\S+) doesn't match (\S+)/.exec(message);
  if (crossed) return `{{#${crossed[1]}}} is closed by {{/${crossed[2]}}}; close the inner block first`;
  const m = /Expecting (.+), got '([A-Z_]+)'/.exec(message);
  if (!m) return message.split('\n')[0]!;
  const expected = [...m[1]!.matchAll(/'([A-Z_]+)'/g)].map((x) => x[1]!);
  const got = m[2]!;
  if (got === 'EOF' && expected.includes('OPEN_ENDBLOCK')) {
    const open = [...source.matchAll(/\{\{~?#\s*([\w-]+)/g)].at(-1)?.[1];
    return `a block is not closed: ${open ? `{{#${open}}} needs its {{/${open}}}` : 'a {{#block}} needs its {{/block}}'}`;
  }
  if (got === 'OPEN_ENDBLOCK') return 'a closing {{/...}} has no opening {{#...}} before it';
  const unclosed = /\{\{(?:(?!\}\})[^])*$/.test(source) || /\{\{[^{}]*\}(?!\})/.test(source);
  if ((got === 'INVALID' || got === 'EOF') && (expected.includes('CLOSE') || unclosed)) return 'a tag is not closed: expected }} after {{';
  if (got === 'CLOSE' && expected.includes('CLOSE_UNESCAPED')) return 'a {{{ tag is closed with }} instead of }}}';
  if (got === 'CLOSE' && expected.includes('ID')) return 'an empty tag: expected a name between {{ and }}';
  const words = [...new Set(expected.map((t) => TOKENS[t]).filter(Boolean))].slice(0, 4);
  if (got === 'INVALID') return `a character that cannot be inside {{ }}${words.length ? `; expected ${words.join(', ')}` : ''}`;
  return `unexpected ${TOKENS[got] ?? got}${words.length ? `; expected ${words.join(', ')}` : ''}`;
}

export function compileTemplate(source: string): CompiledTemplate {
  const render = env().compile(source, COMPILE_OPTIONS);
  // Explicitly denied (not just unset): no prototype reads, and no console warning about them.
  const text = (context: unknown, data: Record<string, unknown> = {}) => render(context, { data, allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false });
  return {
    source,
    text,
    messages: (context, data, defaultRole = 'user') => splitMessages(text(context, data), defaultRole),
  };
}

/** Splits rendered text at dotprompt role markers, like dotprompt's `toMessages`; trims each message, drops empty ones. */
export function splitMessages(rendered: string, defaultRole: ChatMessage['role'] = 'user'): ChatMessage[] {
  const out: ChatMessage[] = [];
  let role: ChatMessage['role'] = defaultRole;
  let last = 0;
  const push = (end: number) => {
    const content = rendered.slice(last, end).trim();
    if (content) out.push({ role, content });
  };
  for (const m of rendered.matchAll(ROLE_MARKER)) {
    push(m.index);
    role = ROLES[m[1]!] ?? 'user';
    last = m.index + m[0].length;
  }
  push(rendered.length);
  return out;
}

function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}
