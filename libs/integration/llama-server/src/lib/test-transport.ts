import { createNodeHttpFetch } from '@flotilla/http';

/**
 * The transport of the tests' clients: the adapter's default (node:http, `@flotilla/http`)
 * without connection reuse. llama-server closes the connection after every streamed response
 * although it answered `Keep-Alive: timeout=5, max=100`; the keep-alive agent then sends the
 * next request on the closed socket and it fails with "socket hang up". The test "back-to-back
 * streamed calls over the default transport" in llama-server.checks.spec.ts pins that down.
 */
export function testTransport(): typeof fetch {
  return createNodeHttpFetch({ keepAlive: false });
}
