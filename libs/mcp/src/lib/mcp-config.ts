import { Errors } from '@flotilla/core';

/**
 * How to start or reach one MCP server. It lives only in configuration (code, or the fleet
 * file): chain files name an MCP server's tools, never a command or a URL, so a shared chain
 * file cannot run a program.
 */
export interface McpServerConfig {
  /** stdio: the program to start (its tools are served on its stdin/stdout). */
  command?: string;
  args?: readonly string[];
  /** stdio: the child's environment, added to the SDK's safe default (PATH, HOME, ...). */
  env?: Readonly<Record<string, string>>;
  cwd?: string;
  /** Streamable HTTP: the server's endpoint. */
  url?: string;
  /** Streamable HTTP: request headers (an API key from the environment; never logged). */
  headers?: Readonly<Record<string, string>>;
  /** Each tool call's deadline; the call is cancelled on the server then. @default 30000 */
  timeoutMs?: number;
  /** Starting (or reaching) the server, its handshake and its tool list. @default 10000 */
  connectTimeoutMs?: number;
  /** Only these of the server's tools (by their MCP names); default all. */
  tools?: readonly string[];
  /** Characters of a tool's result sent to the model at most (see defineTool). */
  maxResultChars?: number;
}

export const DEFAULT_MCP_CALL_TIMEOUT_MS = 30_000;
export const DEFAULT_MCP_CONNECT_TIMEOUT_MS = 10_000;

const SERVER_NAME = /^[A-Za-z0-9-]{1,32}$/;

/** Checks one server's configuration; a mistake is a `config` error naming the server and field. */
export function checkServerConfig(name: string, config: McpServerConfig): void {
  const where = `MCP server "${name}"`;
  if (!SERVER_NAME.test(name)) throw Errors.config(`${where} name`, '1-32 letters, digits or "-" (it prefixes its tools\' names)', name);
  if (typeof config !== 'object' || config === null) throw Errors.config(where, 'an object with command or url', config);
  const hasCommand = config.command !== undefined;
  const hasUrl = config.url !== undefined;
  if (hasCommand === hasUrl) throw Errors.config(where, 'exactly one of command (stdio) or url (streamable HTTP)');
  if (hasCommand && (typeof config.command !== 'string' || config.command === '')) throw Errors.config(`${where} command`, 'a program to run', config.command);
  if (config.args !== undefined && !(Array.isArray(config.args) && config.args.every((a) => typeof a === 'string'))) throw Errors.config(`${where} args`, 'an array of strings', config.args);
  if (hasUrl) {
    let url: URL | undefined;
    try {
      url = new URL(String(config.url));
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw Errors.config(`${where} url`, 'an http(s) URL', config.url);
  }
  for (const field of ['timeoutMs', 'connectTimeoutMs'] as const) {
    const v = config[field];
    if (v !== undefined && !(typeof v === 'number' && v > 0)) throw Errors.config(`${where} ${field}`, 'a number of milliseconds > 0', v);
  }
  if (config.tools !== undefined && !(Array.isArray(config.tools) && config.tools.every((t) => typeof t === 'string'))) throw Errors.config(`${where} tools`, 'an array of tool names', config.tools);
}

/** The Flotilla name of an MCP server's tool: `<server>_<tool>`, in the characters every model server accepts. */
export function flotillaToolName(server: string, tool: string): string {
  return `${server}_${tool.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, 64);
}
