import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { Errors, FlotillaError } from '@flotilla/core';
import { DEFAULT_MCP_CALL_TIMEOUT_MS, DEFAULT_MCP_CONNECT_TIMEOUT_MS, type McpServerConfig } from './mcp-config';

/** A tool as an MCP server lists it. */
export interface McpToolInfo {
  readonly name: string;
  readonly description?: string;
  readonly inputSchema: Record<string, unknown>;
}

/** What happens to a server's connection, for logs and metrics. */
export interface McpEvent {
  readonly type: 'connected' | 'disconnected';
  readonly server: string;
  /** The stdio server's process id. */
  readonly pid?: number;
  /** Why it disconnected, when it was not closed on purpose (an `unavailable` error). */
  readonly error?: FlotillaError;
}

const CLIENT_INFO = { name: 'flotilla', version: '0.1.0' };

interface Live {
  readonly client: Client;
  readonly transport: Transport;
  readonly pid?: number;
  dead: boolean;
}

/**
 * One MCP server's connection: made on first use, and made again on the next use after the
 * server exited or the connection broke (which is reported as an `unavailable` error to the
 * calls in flight and through `onEvent`).
 */
export class McpConnection {
  private live: Live | undefined;
  private connecting: Promise<Live> | undefined;
  private closed = false;
  /** How many times a connection was made (1 after the first use; more after restarts). */
  connects = 0;

  constructor(
    readonly name: string,
    private readonly config: McpServerConfig,
    private readonly onEvent: (event: McpEvent) => void = () => undefined,
  ) {}

  /** The stdio server's process id while it runs. */
  get pid(): number | undefined {
    return this.live && !this.live.dead ? this.live.pid : undefined;
  }

  get callTimeoutMs(): number {
    return this.config.timeoutMs ?? DEFAULT_MCP_CALL_TIMEOUT_MS;
  }

  /** The server's tools (those the configuration keeps). */
  async listTools(signal?: AbortSignal): Promise<McpToolInfo[]> {
    const live = await this.connect(signal);
    const timeout = this.config.connectTimeoutMs ?? DEFAULT_MCP_CONNECT_TIMEOUT_MS;
    const tools: McpToolInfo[] = [];
    let cursor: string | undefined;
    try {
      do {
        const page = await live.client.listTools(cursor === undefined ? {} : { cursor }, { timeout, ...(signal ? { signal } : {}) });
        for (const t of page.tools) tools.push({ name: t.name, ...(t.description === undefined ? {} : { description: t.description }), inputSchema: t.inputSchema as Record<string, unknown> });
        cursor = page.nextCursor;
      } while (cursor !== undefined);
    } catch (e) {
      throw this.failure(e, 'tools/list', timeout, signal, live);
    }
    const keep = this.config.tools;
    if (!keep) return tools;
    const missing = keep.filter((n) => !tools.some((t) => t.name === n));
    if (missing.length) throw Errors.config(`MCP server "${this.name}" tools`, `tools the server has (${tools.map((t) => t.name).join(', ')})`, missing.join(', '));
    return tools.filter((t) => keep.includes(t.name));
  }

  /**
   * Calls a tool. The signal cancels it on the server (the SDK sends `notifications/cancelled`),
   * as does the deadline. A result the server marks as an error is a `badOutput` error whose
   * message is the server's text, for the model to read.
   */
  async callTool(tool: string, args: Record<string, unknown>, signal: AbortSignal, timeoutMs = this.callTimeoutMs): Promise<unknown> {
    const live = await this.connect(signal);
    let result: Awaited<ReturnType<Client['callTool']>>;
    try {
      result = await live.client.callTool({ name: tool, arguments: args }, undefined, { signal, timeout: timeoutMs });
    } catch (e) {
      throw this.failure(e, `tools/call "${tool}"`, timeoutMs, signal, live);
    }
    const text = contentText(result);
    if (result.isError === true) {
      throw new FlotillaError('badOutput', `MCP tool "${tool}" of server "${this.name}" failed: ${text}`, { retryable: false, details: { server: this.name, tool } });
    }
    return text;
  }

  /** Stops the stdio server (stdin closed, then SIGTERM, then SIGKILL) or drops the HTTP session. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const live = this.live ?? (await this.connecting?.catch(() => undefined));
    this.live = undefined;
    if (live) {
      live.dead = true;
      await live.client.close();
    }
  }

  private connect(signal?: AbortSignal): Promise<Live> {
    if (this.closed) return Promise.reject(Errors.config(`MCP server "${this.name}"`, 'a server that is not closed (the Flotilla was closed)'));
    if (this.live && !this.live.dead) return Promise.resolve(this.live);
    this.connecting ??= this.open(signal).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async open(signal?: AbortSignal): Promise<Live> {
    const timeout = this.config.connectTimeoutMs ?? DEFAULT_MCP_CONNECT_TIMEOUT_MS;
    const transport = this.transport();
    const client = new Client(CLIENT_INFO, { capabilities: {} });
    const live: Live = { client, transport, dead: false };
    client.onclose = () => {
      if (live.dead) return;
      live.dead = true;
      if (this.live === live) this.live = undefined;
      if (!this.closed) {
        const error = new FlotillaError('unavailable', `MCP server "${this.name}" ${this.config.command === undefined ? 'closed the connection' : 'exited'}; it is ${this.config.command === undefined ? 'reconnected' : 'restarted'} on next use`, {
          details: { server: this.name },
        });
        this.onEvent({ type: 'disconnected', server: this.name, ...(live.pid === undefined ? {} : { pid: live.pid }), error });
      }
    };
    try {
      await client.connect(transport, { timeout, ...(signal ? { signal } : {}) });
    } catch (e) {
      live.dead = true;
      await client.close().catch(() => undefined);
      const f = this.failure(e, 'connect', timeout, signal, live);
      throw FlotillaError.is(f, 'unavailable') ? new FlotillaError('unavailable', `MCP server "${this.name}" could not be ${this.config.command === undefined ? `reached at ${redactUrl(this.config.url!)}` : `started (${this.config.command})`}: ${f.message}`, { cause: e, details: { server: this.name } }) : f;
    }
    const pid = transport instanceof StdioClientTransport ? (transport.pid ?? undefined) : undefined;
    (live as { pid?: number }).pid = pid;
    this.connects++;
    if (this.closed) {
      live.dead = true;
      await client.close();
      throw Errors.config(`MCP server "${this.name}"`, 'a server that is not closed (the Flotilla was closed)');
    }
    this.live = live;
    this.onEvent({ type: 'connected', server: this.name, ...(pid === undefined ? {} : { pid }) });
    return live;
  }

  private transport(): Transport {
    const c = this.config;
    if (c.command !== undefined) {
      return new StdioClientTransport({ command: c.command, args: [...(c.args ?? [])], ...(c.env ? { env: { ...getDefaultEnvironment(), ...c.env } } : {}), ...(c.cwd ? { cwd: c.cwd } : {}), stderr: 'ignore' });
    }
    return new StreamableHTTPClientTransport(new URL(c.url!), c.headers ? { requestInit: { headers: { ...c.headers } } } : undefined);
  }

  /** A failed request as a typed error; a broken connection is dropped so the next use makes a new one. */
  private failure(e: unknown, what: string, timeoutMs: number, signal: AbortSignal | undefined, live: Live): FlotillaError {
    if (signal?.aborted) return FlotillaError.is(signal.reason) ? signal.reason : Errors.aborted(`MCP ${what} on server "${this.name}"`, signal.reason);
    if (e instanceof McpError && e.code === ErrorCode.RequestTimeout) {
      return Errors.timeout(`MCP ${what} on server "${this.name}"`, timeoutMs, { server: this.name, deadline: 'tool' });
    }
    if (e instanceof McpError && e.code !== ErrorCode.ConnectionClosed) {
      // The server answered with an error (an unknown tool, invalid arguments): the model's to fix.
      return new FlotillaError('badOutput', `MCP ${what} on server "${this.name}": ${e.message}`, { retryable: false, cause: e, details: { server: this.name, code: e.code } });
    }
    if (!live.dead) {
      live.dead = true;
      if (this.live === live) this.live = undefined;
      void live.client.close().catch(() => undefined);
    }
    const reason = e instanceof Error ? e.message : String(e);
    return new FlotillaError('unavailable', `MCP server "${this.name}" broke off ${what} (${reason}); it is ${this.config.command === undefined ? 'reconnected' : 'restarted'} on next use`, {
      cause: e,
      details: { server: this.name },
    });
  }
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/** A call's result as the model reads it: text parts joined; structured content as JSON; other parts named. */
function contentText(result: Awaited<ReturnType<Client['callTool']>>): string {
  const parts = Array.isArray(result.content) ? (result.content as { type: string; text?: string; mimeType?: string; resource?: { uri?: string; text?: string } }[]) : [];
  if (parts.length === 0 && result.structuredContent !== undefined) return JSON.stringify(result.structuredContent);
  return parts
    .map((p) => {
      if (p.type === 'text') return p.text ?? '';
      if (p.type === 'resource') return p.resource?.text ?? `[resource ${p.resource?.uri ?? ''}]`;
      return `[${p.type}${p.mimeType ? ` ${p.mimeType}` : ''}]`;
    })
    .join('\n');
}
