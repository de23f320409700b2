// @flotilla/mcp: MCP servers' tools (stdio or streamable HTTP) as Flotilla tools.
export { connectMcp } from './lib/mcp-tools';
export type { ConnectMcpOptions, McpTools } from './lib/mcp-tools';
export { McpConnection } from './lib/mcp-connection';
export type { McpEvent, McpToolInfo } from './lib/mcp-connection';
export { DEFAULT_MCP_CALL_TIMEOUT_MS, DEFAULT_MCP_CONNECT_TIMEOUT_MS, flotillaToolName } from './lib/mcp-config';
export type { McpServerConfig } from './lib/mcp-config';
