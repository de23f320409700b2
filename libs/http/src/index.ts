// @flotilla/http: the HTTP transport the adapters share (node:http, no undici timeouts).
export { createNodeHttpFetch } from './lib/node-http.fetch';
export type { FetchLike, NodeHttpFetch, NodeHttpFetchOptions } from './lib/node-http.fetch';
export { withRequestDeadline, RequestTimeoutError } from './lib/request-deadline';
