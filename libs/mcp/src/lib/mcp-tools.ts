import { Errors, defineTool, type Tool } from '@flotilla/core';
import { checkServerConfig, flotillaToolName, type McpServerConfig } from './mcp-config';
import { McpConnection, type McpEvent, type McpToolInfo } from './mcp-connection';

export interface ConnectMcpOptions {
  /** Connections made and lost (a server that exited, a broken HTTP session), for logs and metrics. */
  onEvent?: (event: McpEvent) => void;
  /** Aborts connecting. */
  signal?: AbortSignal;
}

/**
 * MCP servers' tools as Flotilla tools, and their connections. Give the tools and this object
 * to the Flotilla: `createFlotilla({ client, tools: mcp.tools, closeables: [mcp] })`, so that
 * `flotilla.close()` stops the stdio servers.
 */
export interface McpTools {
  /** Every server's tools, named `<server>_<tool>`. */
  readonly tools: readonly Tool<never, unknown>[];
  /** One server's connection (its pid, how often it was started). */
  server(name: string): McpConnection;
  /** Stops every stdio server and drops every HTTP session. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts (stdio) or reaches (streamable HTTP) each configured MCP server, lists its tools and
 * returns them as Flotilla tools. A tool call has the server's `timeoutMs` and the call's
 * signal, and a cancel or a timeout reaches the server. A server that exits or disconnects
 * fails the calls in flight with an `unavailable` error (sent back to the model as a tool
 * error) and is started or reached again on next use.
 *
 * ```ts
 * const mcp = await connectMcp({ files: { command: 'npx', args: ['@modelcontextprotocol/server-filesystem', '/srv/docs'] } });
 * const flotilla = createFlotilla({ client, tools: mcp.tools, closeables: [mcp] });
 * ```
 */
export async function connectMcp(servers: Readonly<Record<string, McpServerConfig>>, options: ConnectMcpOptions = {}): Promise<McpTools> {
  if (typeof servers !== 'object' || servers === null) throw Errors.config('connectMcp(servers)', 'an object of server name -> { command, args, env } or { url }', servers);
  const connections = new Map<string, McpConnection>();
  for (const [name, config] of Object.entries(servers)) {
    checkServerConfig(name, config);
    connections.set(name, new McpConnection(name, config, options.onEvent));
  }
  const closeAll = () => Promise.all([...connections.values()].map((c) => c.close())).then(() => undefined);
  const tools: Tool<never, unknown>[] = [];
  try {
    const listed = await Promise.all([...connections.values()].map(async (c) => ({ c, list: await c.listTools(options.signal) })));
    const names = new Map<string, string>();
    for (const { c, list } of listed) {
      for (const info of list) {
        const tool = toTool(c, info, servers[c.name]!);
        const taken = names.get(tool.name);
        if (taken !== undefined) throw Errors.config(`MCP tool "${info.name}" of server "${c.name}"`, `a name distinct from ${taken} once made a Flotilla name`, tool.name);
        names.set(tool.name, `tool "${info.name}" of server "${c.name}"`);
        tools.push(tool);
      }
    }
  } catch (e) {
    await closeAll();
    throw e;
  }
  return {
    tools,
    server(name) {
      const c = connections.get(name);
      if (!c) throw Errors.config(`mcp.server("${name}")`, `one of ${[...connections.keys()].join(', ')}`);
      return c;
    },
    close: closeAll,
  };
}

function toTool(connection: McpConnection, info: McpToolInfo, config: McpServerConfig): Tool<never, unknown> {
  // The SDK's servers state their dialect ($schema 2020-12); the arguments check needs none of it.
  const { $schema: _dialect, ...schema } = info.inputSchema;
  if (schema['type'] === undefined) schema['type'] = 'object';
  return defineTool({
    name: flotillaToolName(connection.name, info.name),
    ...(info.description === undefined ? {} : { description: info.description }),
    input: schema,
    timeoutMs: connection.callTimeoutMs,
    ...(config.maxResultChars === undefined ? {} : { maxResultChars: config.maxResultChars }),
    run: (args, { signal }) => connection.callTool(info.name, args, signal),
  }) as Tool<never, unknown>;
}
