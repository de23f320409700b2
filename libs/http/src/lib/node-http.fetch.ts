import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeWebStream } from 'node:stream/web';

export type FetchLike = typeof fetch;

/** The node:http fetch, and a way to let go of its pooled connections. */
export type NodeHttpFetch = FetchLike & {
  /**
   * Destroys every socket of this transport at once, idle keep-alive ones and those of
   * requests still running (they fail). Without it a closed client leaves its kept-alive
   * connections open until the server times them out.
   */
  close(): void;
};

export interface NodeHttpFetchOptions {
  /** Reuse connections between calls. @default true */
  keepAlive?: boolean;
  /**
   * Send a request once more on a fresh socket when its reused keep-alive socket was reset
   * before any response arrived: what a server that closes connections while advertising
   * keep-alive (llama.cpp's server) causes on the next call. On the wire this looks the
   * same as a server that took the request and dropped the connection before answering,
   * so turn it on only for servers known to close idle connections early.
   * @default false
   */
  resendOnStaleSocket?: boolean;
}

const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/**
 * A `fetch` over node:http(s). Node's built-in fetch (undici) gives up after 300 s without
 * response headers (and 300 s between body chunks); Ollama sends headers only with the first
 * token, so a long model load or a long `stream:false` call dies with "fetch failed". This
 * transport has no such timeouts: the caller's AbortSignal and deadlines decide. Aborting
 * destroys the socket, so the server sees the client go away.
 */
export function createNodeHttpFetch(options: NodeHttpFetchOptions = {}): NodeHttpFetch {
  const keepAlive = options.keepAlive ?? true;
  const resendOnStale = keepAlive && (options.resendOnStaleSocket ?? false);
  const agents = { http: new http.Agent({ keepAlive }), https: new https.Agent({ keepAlive }) };
  const nodeFetch = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const signal = init.signal ?? undefined;
    const secure = url.protocol === 'https:';
    const headers = new Headers(init.headers);
    const body = typeof init.body === 'string' ? init.body : init.body == null ? undefined : String(init.body);
    if (body !== undefined) headers.set('content-length', String(Buffer.byteLength(body)));
    const requestOptions = { method: init.method ?? 'GET', headers: Object.fromEntries(headers.entries()), agent: secure ? agents.https : agents.http };

    // With resendOnStaleSocket: a pooled keep-alive socket the server had closed after its
    // last response (llama.cpp's server does so after every stream while advertising
    // keep-alive) fails the next request before any response; send it once more on a
    // fresh socket, as Node's documentation advises (request.reusedSocket).
    const attempt = (retried: boolean): Promise<Response> =>
      new Promise<Response>((resolve, reject) => {
        if (signal?.aborted) {
          reject(abortError(signal));
          return;
        }
        const req = (secure ? https : http).request(url, requestOptions);
        let responded = false;
        const onAbort = () => {
          const err = abortError(signal!);
          req.destroy(err);
          reject(err);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        req.on('error', (err: NodeJS.ErrnoException) => {
          signal?.removeEventListener('abort', onAbort);
          if (resendOnStale && !responded && !retried && req.reusedSocket && err.code === 'ECONNRESET' && !signal?.aborted) resolve(attempt(true));
          else reject(signal?.aborted ? err : fetchFailed(err));
        });
        req.on('response', (res) => {
          responded = true;
          const responseHeaders = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            if (Array.isArray(v)) v.forEach((x) => responseHeaders.append(k, x));
            else if (v !== undefined) responseHeaders.set(k, v);
          }
          res.on('close', () => signal?.removeEventListener('abort', onAbort));
          const status = res.statusCode ?? 500;
          const stream = NULL_BODY_STATUSES.has(status) ? null : (Readable.toWeb(res) as NodeWebStream<Uint8Array>);
          resolve(new Response(stream as unknown as ReadableStream<Uint8Array> | null, { status, statusText: res.statusMessage, headers: responseHeaders }));
        });
        req.end(body);
      });
    return attempt(false);
  };
  const close = () => {
    agents.http.destroy();
    agents.https.destroy();
  };
  return Object.assign(nodeFetch as FetchLike, { close });
}

/**
 * A network failure as fetch reports one (a TypeError whose cause is the system error),
 * with the system error's `code` kept on it. Made here rather than passed on as is: an
 * error from Node's own realm is not `instanceof Error` inside a VM context (Jest), and
 * SDKs that rebuild such errors drop the code.
 */
function fetchFailed(err: NodeJS.ErrnoException): Error {
  return Object.assign(new TypeError(err.message, { cause: err }), err.code === undefined ? {} : { code: err.code });
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  const err = new Error('This operation was aborted', { cause: reason });
  err.name = 'AbortError';
  return err;
}

/** A fetch that also aborts when `signal` does (the per-call signal the ollama client cannot take). */
export function fetchWithSignal(base: FetchLike, signal: AbortSignal): FetchLike {
  return ((input: string | URL | Request, init: RequestInit = {}) =>
    base(input, { ...init, signal: init.signal ? AbortSignal.any([init.signal, signal]) : signal })) as FetchLike;
}
