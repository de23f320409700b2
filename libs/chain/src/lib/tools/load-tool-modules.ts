import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FlotillaError, type Tool, defineTool, importModule } from '@flotilla/core';

export interface LoadToolModulesOptions {
  /** What named the files, for messages: `--tools`, `tools.modules`. @default 'tool module' */
  from?: string;
  /** Relative files are resolved against it. @default process.cwd() */
  cwd?: string;
}

/**
 * The tools of tool modules: files (`.mjs`, `.js`, `.cjs`; `.ts` where the running Node strips
 * types) whose exports are tools. Each export, and the default export, that is a tool made
 * by `defineTool`, a definition `defineTool` takes (`{ name, description, input, run }`, with
 * `input` a JSON Schema object, so a module needs no import), or an array of them, is a tool;
 * other exports (helpers, constants) are left alone. A module is the user's own code, named
 * in configuration (`flotilla run --tools`): never a file a chain names, so a shared chain
 * file still cannot run a program.
 *
 * Every mistake is a `config` error naming the file (and the export): a file that is
 * missing or fails to load, a definition `defineTool` refuses, a module with no tools, two
 * tools of one name.
 */
export async function loadToolModules(files: readonly string[], options: LoadToolModulesOptions = {}): Promise<Tool[]> {
  const from = options.from ?? 'tool module';
  const tools: Tool[] = [];
  const origin = new Map<string, string>();
  for (const given of files) {
    const file = path.resolve(options.cwd ?? process.cwd(), given);
    const where = `${from} ${given}`;
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new FlotillaError('config', `${where}: no such file`, { details: { file } });
    const mod = await importToolModule(file, where);
    const found: Tool[] = [];
    for (const [name, value] of exportsOf(mod)) {
      for (const [i, item] of (Array.isArray(value) ? value : [value]).entries()) {
        const tool = asTool(item, `${where}: export ${name}${Array.isArray(value) ? `[${i}]` : ''}`);
        if (tool && !found.includes(tool)) found.push(tool);
      }
    }
    if (found.length === 0) throw new FlotillaError('config', `${where}: exports no tools (export tools made by defineTool, or { name, description, input, run } objects)`, { details: { file } });
    for (const tool of found) {
      const before = origin.get(tool.name);
      if (before !== undefined && before !== file) throw new FlotillaError('config', `${where}: tool "${tool.name}" is also exported by ${before}`, { details: { file, tool: tool.name } });
      if (before === file) continue; // the same tool exported twice by one module (named and in an array)
      origin.set(tool.name, file);
      tools.push(tool);
    }
  }
  return tools;
}

async function importToolModule(file: string, where: string): Promise<Record<string, unknown>> {
  try {
    return await importModule(pathToFileURL(file).href);
  } catch (cause) {
    const e = cause as { code?: unknown; message?: unknown; stack?: unknown };
    if (e.code === 'ERR_UNKNOWN_FILE_EXTENSION') {
      throw new FlotillaError('config', `${where}: Node ${process.versions.node} cannot load ${path.extname(file)} files; compile it to .js or .mjs (Node 22.18 and later load .ts files)`, { cause, details: { file } });
    }
    // By name: the error may come from another realm (a vm context), where instanceof fails.
    const at = (cause as { name?: unknown } | null)?.name === 'SyntaxError' ? syntaxErrorAt(file) : undefined;
    throw new FlotillaError('config', `${where}: failed to load: ${at ? `${at}: ` : ''}${String(e.message ?? cause)}`, { cause, details: { file } });
  }
}

/**
 * Where a module's syntax error is, as `file:line:col`. Node's import error does not say
 * (it prints the place only for an uncaught error), so `node --check` is asked: only after a
 * load has failed, with a deadline.
 */
function syntaxErrorAt(file: string): string | undefined {
  const r = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8', timeout: 10_000 });
  const lines = (r.stderr ?? '').split('\n');
  const i = lines.findIndex((l) => l.startsWith(`${file}:`));
  if (i < 0) return undefined;
  const caret = lines[i + 2]?.indexOf('^') ?? -1;
  return `${lines[i]}${caret >= 0 ? `:${caret + 1}` : ''}`;
}

/**
 * A module's exports by name. A CommonJS module's `module.exports` object arrives as `default`
 * (and, in part, as named exports): its own properties are its exports.
 */
function exportsOf(mod: Record<string, unknown>): [string, unknown][] {
  const d = mod['default'];
  const commonJs = typeof d === 'object' && d !== null && !Array.isArray(d) && typeof (d as Record<string, unknown>)['run'] !== 'function';
  const entries = Object.entries(mod).filter(([name]) => name !== 'module.exports' && !(commonJs && name === 'default'));
  if (!commonJs) return entries;
  const named = new Set(entries.map(([n]) => n));
  return [...entries, ...Object.entries(d as Record<string, unknown>).filter(([n]) => !named.has(n))];
}

/** A tool, a definition made into one, or undefined for an export that is neither. */
function asTool(value: unknown, at: string): Tool | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v['run'] !== 'function' || typeof v['name'] !== 'string') {
    // Looks meant as a tool but is not one: say so rather than drop it.
    if ('run' in v || 'input' in v || 'parameters' in v) throw new FlotillaError('config', `${at}: a tool needs a string name and a run function`, { details: { export: at } });
    return undefined;
  }
  if (typeof v['parseArgs'] === 'function' && typeof v['parameters'] === 'object') return value as Tool;
  try {
    return defineTool(value as Parameters<typeof defineTool>[0]) as Tool;
  } catch (e) {
    if (!FlotillaError.is(e, 'config')) throw e;
    throw new FlotillaError('config', `${at}: ${e.message}`, { cause: e, details: { export: at } });
  }
}
