/** What the test server saw of one HTTP request. */
export interface RecordedRequest {
  /** 1-based, in arrival order. */
  id: number;
  method: string;
  path: string;
  /** Request headers with `authorization` removed (see `hadAuthorization`). */
  headers: Record<string, string | string[] | undefined>;
  /** Whether an Authorization header was present; its value is never recorded. */
  hadAuthorization: boolean;
  /** The parsed JSON body, or the raw text when it was not JSON; undefined for GET. */
  body: unknown;
  /** The fault applied, if any. */
  fault?: string;
  /** Status sent, once headers went out. */
  status?: number;
  /** Whether the server finished the response. */
  completed: boolean;
  /** Whether the client went away before the response was finished. */
  clientDisconnected: boolean;
  /** Whether the request waited for a free slot. */
  queued: boolean;
}
