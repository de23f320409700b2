import type { IncomingMessage } from 'node:http';
import { requestError } from './api-error';

/**
 * The request's JSON object body, at most `limitBytes` (413 past it, the rest is not read),
 * sent as `application/json` (415 otherwise: a web page cannot send it without a CORS
 * preflight), within `timeoutMs` (408: a client that trickles its body holds nothing for long).
 */
export function readJsonBody(req: IncomingMessage, limitBytes: number, timeoutMs: number): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    req.resume();
    return Promise.reject(requestError(415, `the body must be sent as application/json (got ${type ? JSON.stringify(type) : 'no content type'}; with curl, add -H 'content-type: application/json')`));
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) {
    req.resume();
    return Promise.reject(requestError(413, `the body is ${declared} bytes; the limit is ${limitBytes}`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => fail(requestError(408, `the body did not arrive within ${timeoutMs} ms`)), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      req.removeAllListeners('data');
      req.resume();
      reject(error);
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) return fail(requestError(413, `the body is over the limit of ${limitBytes} bytes`));
      chunks.push(chunk);
    });
    req.once('error', (e) => fail(e));
    req.once('end', () => {
      clearTimeout(timer);
      if (size > limitBytes) return;
      let value: unknown;
      try {
        value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch (e) {
        return reject(requestError(400, `the body is not valid JSON: ${(e as Error).message}`));
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return reject(requestError(400, 'the body must be a JSON object'));
      resolve(value as Record<string, unknown>);
    });
  });
}
