import type { SimModel } from './sim-model';
import type { SimScheduler } from './sim-scheduler';
import type { SimReplySpec, SimRequestContext } from './sim-reply';
import type { SimRequestRecord } from './sim-recorder';

/** What the route handlers share with the server. */
export interface SimContext {
  readonly timeScale: number;
  readonly defaultKeepAliveMs: number;
  readonly scheduler: SimScheduler;
  readonly version: string;
  findModel(name: string): SimModel | undefined;
  models(): SimModel[];
  /** Adds a model (after a pull). */
  addModel(name: string): SimModel;
  canPull(name: string): boolean;
  decideReply(ctx: Omit<SimRequestContext, 'index'>): SimReplySpec;
  generationStarted(): void;
  generationEnded(): void;
}

/** One request in flight: its record, and a signal that aborts when the client goes away. */
export interface Exchange {
  readonly record: SimRequestRecord;
  readonly signal: AbortSignal;
  readonly receivedPerf: number;
  firstByte(): void;
  /** The server itself is cutting the connection (a fault), not the client. */
  serverDrop(): void;
}
