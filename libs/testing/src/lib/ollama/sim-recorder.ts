/** What the simulator saw of one HTTP request. */
export interface SimRequestRecord {
  id: number;
  method: string;
  path: string;
  /** Request headers, except Authorization (never recorded). */
  headers: Record<string, string | string[] | undefined>;
  hadAuthorization: boolean;
  /** Parsed JSON body, or undefined for bodiless requests. */
  body?: Record<string, unknown>;
  model?: string;
  /** Epoch ms. */
  receivedAt: number;
  /** When the first byte of the response was written. */
  firstByteAt?: number;
  /** When the response ended, whichever way. */
  finishedAt?: number;
  status?: number;
  /** The client went away before the response was complete. */
  clientDisconnected: boolean;
  /** What the simulator did: "reply", "load", "unload", or the fault type. */
  outcome?: string;
}

export function isGenerationPath(path: string): boolean {
  return path === '/api/chat' || path === '/api/generate' || path === '/v1/chat/completions';
}
