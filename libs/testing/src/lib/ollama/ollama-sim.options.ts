import type { SimModelSpec } from './sim-model';
import type { FaultRule, ReplyScript } from './sim-reply';

export interface OllamaSimOptions {
  /** @default "127.0.0.1" */
  host?: string;
  /** 0 picks a free port. @default 0 */
  port?: number;
  /** @default ["llama3.2:1b"] */
  models?: (string | SimModelSpec)[];
  /** OLLAMA_NUM_PARALLEL: request slots per loaded model. @default 1 */
  numParallel?: number;
  /** OLLAMA_MAX_LOADED_MODELS. @default 3 */
  maxLoadedModels?: number;
  /** OLLAMA_MAX_QUEUE: requests that may wait for a model load before 503. @default 512 */
  maxQueue?: number;
  /** OLLAMA_KEEP_ALIVE: seconds or a Go duration. @default "5m" */
  keepAlive?: number | string;
  /**
   * Multiplies every simulated duration (loads, tokens, keep-alive) into real time:
   * 0.01 runs 100 times faster. Durations on the wire stay in simulated time. @default 1
   */
  timeScale?: number;
  /** Replies for every model (after per-model scripts). @default a deterministic reply from the prompt */
  script?: ReplyScript;
  /** Faults injected into matching generation requests. @default [] */
  faults?: FaultRule[];
  /** Which unknown names `/api/pull` can fetch. @default every name */
  pullable?: (name: string) => boolean;
  /** @default "0.12.6" */
  version?: string;
}
