import type { FetchLike } from '@flotilla/http';
import { MalformedResponseError, OllamaStatusError, OllamaStreamError } from './ollama-wire.errors';

const EXCERPT_CHARS = 120;
const USER_AGENT = 'flotilla (adapter-ollama)';

/**
 * Ollama's REST API over the shared transport. Ollama's own client is not used at run time:
 * it skips a malformed stream line after printing it to the console (and prints to stdout
 * for error bodies that are not JSON), so a partial reply could pass as a success and
 * server text would bypass Flotilla's logging. Here every line must parse, and nothing is
 * printed: failures are thrown as the classes in `ollama-wire.errors`.
 */
export class OllamaHttp {
  constructor(
    private readonly host: string,
    private readonly headers: Readonly<Record<string, string>>,
    private readonly fetch: FetchLike,
  ) {}

  /** Sends a request; resolves with the response once its status is known to be a success. */
  async send(method: 'GET' | 'POST', path: string, body: unknown, signal: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', 'user-agent': USER_AGENT, ...this.headers };
    const res = await this.fetch(`${this.host}${path}`, { method, headers, signal, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    if (!res.ok) throw new OllamaStatusError(res.status, await errorText(res));
    return res;
  }

  /** A whole JSON body; an `{"error"}` body is an `OllamaStreamError`. */
  async json<T>(method: 'GET' | 'POST', path: string, body: unknown, signal: AbortSignal): Promise<T> {
    const value = parse(await (await this.send(method, path, body, signal)).text());
    if (isErrorObject(value)) throw new OllamaStreamError(value.error);
    return value as T;
  }
}

/** The objects of an NDJSON body, each line parsed strictly; an `{"error"}` line throws. */
export async function* ndjson<T>(res: Response): AsyncGenerator<T> {
  if (!res.body) return;
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.trim() !== '') yield item<T>(line);
    }
  }
  buffer += decoder.decode();
  if (buffer.trim() !== '') yield item<T>(buffer);
}

function item<T>(line: string): T {
  const value = parse(line);
  if (isErrorObject(value)) throw new OllamaStreamError(value.error);
  return value as T;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new MalformedResponseError(text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}...` : text);
  }
}

function isErrorObject(value: unknown): value is { error: string } {
  return typeof value === 'object' && value !== null && typeof (value as { error?: unknown }).error === 'string';
}

/** Ollama's `{"error": "..."}` text, else the body, else the status line. */
async function errorText(res: Response): Promise<string> {
  const fallback = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body?.error === 'string' && body.error) return body.error;
  } catch {
    // not JSON: the text itself
  }
  return text.trim().slice(0, 500) || fallback;
}
