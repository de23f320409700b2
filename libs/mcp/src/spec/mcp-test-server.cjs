// An MCP server written with the official SDK, started by the tests as a real process:
// `node mcp-test-server.cjs stdio` or `node mcp-test-server.cjs http` (prints `listening <port>`,
// serves streamable HTTP on 127.0.0.1). MCP_TEST_MARKS names a file where the server appends
// what it saw (a cancelled call), so a test can tell that a cancel reached it.
const { appendFileSync } = require('node:fs');
const http = require('node:http');
const { randomUUID } = require('node:crypto');
const { Server } = require('@modelcontextprotocol/sdk/server/index.js');
const { StdioServerTransport } = require('@modelcontextprotocol/sdk/server/stdio.js');
const { StreamableHTTPServerTransport } = require('@modelcontextprotocol/sdk/server/streamableHttp.js');
const { ListToolsRequestSchema, CallToolRequestSchema } = require('@modelcontextprotocol/sdk/types.js');

const marks = process.env.MCP_TEST_MARKS;
const mark = (line) => marks && appendFileSync(marks, `${line}\n`);

const TOOLS = [
  { name: 'harbours', description: 'The harbours of a city', inputSchema: { type: 'object', properties: { city: { type: 'string', maxLength: 40 } }, required: ['city'], additionalProperties: false } },
  { name: 'fail', description: 'Always fails', inputSchema: { type: 'object', properties: { why: { type: 'string' } } } },
  { name: 'slow', description: 'Answers after ms milliseconds', inputSchema: { type: 'object', properties: { ms: { type: 'integer', minimum: 0 } }, required: ['ms'] } },
  { name: 'whoami', description: 'The server process id', inputSchema: { type: 'object', properties: {} } },
  { name: 'env', description: 'Whether an environment variable is set in the server, and its length (never its value)', inputSchema: { type: 'object', properties: { name: { type: 'string', maxLength: 64 } }, required: ['name'] } },
];

function makeServer() {
  const server = new Server({ name: 'flotilla-test', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: TOOLS }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const args = request.params.arguments ?? {};
    switch (request.params.name) {
      case 'harbours':
        return { content: [{ type: 'text', text: JSON.stringify({ city: args.city, harbours: args.city === 'Oslo' ? ['Vippetangen', 'Filipstad'] : [] }) }] };
      case 'fail':
        return { isError: true, content: [{ type: 'text', text: `no harbour master today (${args.why ?? 'closed'})` }] };
      case 'slow':
        return new Promise((resolve) => {
          const timer = setTimeout(() => resolve({ content: [{ type: 'text', text: `slept ${args.ms} ms` }] }), args.ms);
          extra.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            mark(`cancelled slow ${extra.requestId}`);
            resolve({ content: [{ type: 'text', text: 'cancelled' }] });
          });
        });
      case 'whoami':
        return { content: [{ type: 'text', text: String(process.pid) }] };
      case 'env': {
        const value = process.env[args.name];
        return { content: [{ type: 'text', text: value === undefined ? 'unset' : `set, ${value.length} characters` }] };
      }
      default:
        throw new Error(`unknown tool ${request.params.name}`);
    }
  });
  return server;
}

async function main() {
  if (process.argv[2] === 'http') {
    const sessions = new Map();
    const httpServer = http.createServer(async (req, res) => {
      const id = req.headers['mcp-session-id'];
      let transport = typeof id === 'string' ? sessions.get(id) : undefined;
      if (!transport) {
        if (id !== undefined) {
          res.writeHead(404).end();
          return;
        }
        transport = new StreamableHTTPServerTransport({ sessionIdGenerator: randomUUID, onsessioninitialized: (sid) => sessions.set(sid, transport) });
        await makeServer().connect(transport);
      }
      await transport.handleRequest(req, res);
    });
    httpServer.listen(Number(process.env.MCP_TEST_PORT ?? 0), '127.0.0.1', () => process.stdout.write(`listening ${httpServer.address().port}\n`));
    return;
  }
  await makeServer().connect(new StdioServerTransport());
}

void main();
