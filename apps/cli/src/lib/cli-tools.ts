import { FlotillaError, type Tool } from '@flotilla/core';
import { loadToolModules } from '@flotilla/chain';
import type { McpServerEntry } from '@flotilla/router';
import type { McpServerConfig, McpTools } from '@flotilla/mcp';

/** The flag every command that runs chains takes for tools in code. */
export const TOOLS_FLAGS = { tools: { type: 'string', multiple: true } } as const;

export const TOOLS_FLAGS_USAGE = `  --tools <module>        a module (.mjs, .js, .cjs) whose exported tools agents may name (repeatable);
                          MCP servers' tools come from the fleet file's mcp: section (docs/tools.md)`;

/** Where a command's tools come from. */
export interface ToolSources {
  /** `--tools` files, relative to the working directory. */
  modules?: readonly string[];
  /** The fleet file's `mcp:` servers, and the file, for messages. */
  mcp?: Readonly<Record<string, McpServerEntry>>;
  fleetFile?: string;
  /** Where `passEnv` and `bearerTokenEnv` are read. */
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

/** The tools a command gives its Flotilla, and what must be closed with it (the MCP servers it started). */
export interface CommandTools {
  readonly tools: readonly Tool<never, unknown>[];
  readonly names: readonly string[];
  close(): Promise<void>;
}

/**
 * Opens the tools a command's chains may use: every `--tools` module, and the MCP servers of
 * the fleet file, either all of them (`servers: 'all'`, for `serve`) or only those whose tools
 * `named` names (`<server>_<tool>`), so a run starts no program it does not need.
 */
export async function openTools(sources: ToolSources, servers: 'all' | { named: readonly string[] }): Promise<CommandTools> {
  const tools: Tool<never, unknown>[] = sources.modules?.length ? await loadToolModules(sources.modules, { from: '--tools' }) : [];
  const wanted = Object.entries(sources.mcp ?? {}).filter(([name]) => servers === 'all' || servers.named.some((t) => t.startsWith(`${name}_`)));
  let mcp: McpTools | undefined;
  if (wanted.length > 0) {
    const configs = Object.fromEntries(wanted.map(([name, entry]) => [name, mcpServerConfig(name, entry, sources)]));
    const { connectMcp } = await importMcp(sources.fleetFile);
    mcp = await connectMcp(configs, { ...(sources.signal ? { signal: sources.signal } : {}) });
    for (const t of mcp.tools) {
      const clash = tools.find((m) => m.name === t.name);
      if (clash) {
        await mcp.close();
        throw new FlotillaError('config', `--tools: tool "${t.name}" is also a tool of an MCP server in ${sources.fleetFile ?? 'the fleet file'}; rename one of them`, { details: { tool: t.name } });
      }
    }
    tools.push(...mcp.tools);
  }
  return { tools, names: tools.map((t) => t.name), close: async () => void (await mcp?.close()) };
}

/** The package behind the fleet file's `mcp:` servers: an optional peer of the CLI (the MCP SDK is large, and most runs use none). */
export const MCP_PACKAGE = '@flotilla/mcp';

/** Loaded only when a server is used: a run without MCP loads none of the SDK. Not installed: a `config` error with the install line. */
async function importMcp(fleetFile: string | undefined): Promise<typeof import('@flotilla/mcp')> {
  try {
    return await import('@flotilla/mcp');
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') throw cause;
    const install = `npm install ${MCP_PACKAGE}`;
    throw new FlotillaError('config', `${fleetFile ?? 'the fleet file'}: mcp: servers need ${MCP_PACKAGE}, an optional peer dependency that is not installed; install it with: ${install}`, {
      cause,
      details: { package: MCP_PACKAGE, install },
    });
  }
}

/** A fleet file's server entry as `connectMcp` takes it: secrets read from the environment now. */
function mcpServerConfig(name: string, entry: McpServerEntry, sources: ToolSources): McpServerConfig {
  const where = `${sources.fleetFile ?? 'fleet file'}: mcp.${name}`;
  const read = (field: string, variable: string): string => {
    const value = sources.env[variable];
    if (value === undefined || value === '') throw new FlotillaError('config', `${where}.${field}: the environment variable ${variable} is not set`, { details: { server: name, variable } });
    return value;
  };
  const common = {
    ...(entry.timeoutMs === undefined ? {} : { timeoutMs: entry.timeoutMs }),
    ...(entry.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: entry.connectTimeoutMs }),
    ...(entry.tools === undefined ? {} : { tools: entry.tools }),
    ...(entry.maxResultChars === undefined ? {} : { maxResultChars: entry.maxResultChars }),
  };
  if (entry.url !== undefined) {
    const headers = { ...entry.headers, ...(entry.bearerTokenEnv === undefined ? {} : { authorization: `Bearer ${read('bearerTokenEnv', entry.bearerTokenEnv)}` }) };
    return { url: entry.url, ...(Object.keys(headers).length ? { headers } : {}), ...common };
  }
  const env = { ...entry.env, ...Object.fromEntries(entry.passEnv.map((v) => [v, read('passEnv', v)])) };
  return { command: entry.command!, args: entry.args, ...(entry.cwd === undefined ? {} : { cwd: entry.cwd }), ...(Object.keys(env).length ? { env } : {}), ...common };
}
