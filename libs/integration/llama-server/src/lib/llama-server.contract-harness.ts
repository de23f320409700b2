import type { ContractBehaviour, ModelClientContractHarness } from '@flotilla/core/testing';
import { OpenAICompatibleModelClient } from '@flotilla/adapter-openai';
import { literalGrammar, llamaExtrasFetch, type LlamaExtras } from './llama-extras.fetch';
import { decodedOf, pollUntil, readMetrics, readSlots } from './llama-server.probes';
import type { LlamaServerProcess } from './llama-server.process';
import { QUIET_POLL_MS, SlotBlockers } from './slot-blockers';
import { createNodeHttpFetch } from '@flotilla/http';
import { SYNTHETIC_TOKEN_IDS } from '@flotilla/testing';

/** `n_predict` of a long generation (a "trickle"): seconds of work on the default synthetic model. */
export const LONG_GENERATION_TOKENS = 6000;
/** `n_predict` of the generations that occupy every slot (a "hang"); they are disconnected when done. */
export const BLOCKER_TOKENS = 15000;
/** A request that llama-server rejects with 400 `invalid_request_error`: its grammar does not parse. */
export const INVALID_GRAMMAR = 'root ::= (';

/** What the harness can tell about the last chat request, to judge a cancellation by. */
type LastRequest =
  | { kind: 'none' }
  /** A long generation that `/slots` identifies by its unique `n_predict`. */
  | { kind: 'generating'; nPredict: number }
  /** A request queued behind blockers; `queued` once `/metrics` counted it as deferred. */
  | { kind: 'queued'; blockers: SlotBlockers; queued: boolean; done: boolean };

export interface LlamaServerHarnessOptions {
  server: LlamaServerProcess;
  /** The model id the server serves (its `--alias`). */
  model: string;
  /** The server's `-np`. */
  slots: number;
  /** The model's `<tool_call>` token (`toolCallTokens`), raised in a scripted tool call. */
  toolCallToken?: number;
  /** Stops the server and removes its files; runs on close. */
  dispose: () => Promise<void>;
}

/**
 * The shared contract's harness for a real llama-server. A real server cannot be told what to
 * answer, so the harness scripts each request through llama.cpp's own per-request fields,
 * added to the body the client sends (see `llamaExtrasFetch`: the suite builds its requests
 * itself, so the harness cannot use `providerOptions` as every other caller does):
 * - text: a GBNF grammar that matches exactly the text (the server then stops by itself);
 * - trickle: `ignore_eos` and a long, unique `n_predict`, found again in `/slots`;
 * - hang: no field; every slot is first occupied by a long generation, so the request waits
 *   in the server's queue and the server sends nothing, not even headers;
 * - error badRequest: a grammar that does not parse (the server answers 400);
 * - structured: only a larger `n_predict`, so that the default length cap cannot cut the JSON;
 * - toolCall: `tool_choice: "required"` (served with `--jinja` and a tool-capable template).
 * Cancellation is what the server reports: the slot stopped before its `n_predict`
 * (`/slots`), or the queued request left the queue while the blockers still held every slot
 * (`/metrics` `requests_deferred`). Requests are counted from the server's log.
 */
export class LlamaServerContractHarness implements ModelClientContractHarness {
  readonly client: OpenAICompatibleModelClient;
  readonly model: string;
  /** llama-server serves its one model under any name: nothing is ever "not found". */
  readonly missingModel = 'no-such-model';
  #next: ContractBehaviour | undefined;
  #last: LastRequest = { kind: 'none' };
  /** Started once earlier blockers have drained (a full server would queue these too). */
  #blockers: Promise<SlotBlockers> | undefined;
  /** Resolves once released blockers have left the slots; every request waits for it. */
  #drained: Promise<void> = Promise.resolve();
  #lastQueryAt = 0;
  #seq = 0;

  constructor(private readonly options: LlamaServerHarnessOptions) {
    this.model = options.model;
    this.client = new OpenAICompatibleModelClient({
      baseURL: `${options.server.baseURL}/v1`,
      env: {},
      fetch: llamaExtrasFetch(() => {
        // Taken now: a request that waits below must not take the next test's script.
        const next = this.#next;
        this.#next = undefined;
        return this.#extrasFor(next);
      }, createNodeHttpFetch({ resendOnStaleSocket: true })),
    });
  }

  scriptNext(behaviour: ContractBehaviour): void {
    this.#releaseBlockers();
    this.#next = behaviour;
    // Started now, not when the request is sent: the client may give up within 100 ms.
    if (behaviour.type === 'hang') {
      const markerBase = BLOCKER_TOKENS + 100 * this.#seq++;
      this.#blockers = this.#drained.then(() => new SlotBlockers(this.options.server.baseURL, this.options.slots, markerBase));
    }
  }

  async observedCancellation(): Promise<boolean> {
    const last = this.#last;
    const baseURL = this.options.server.baseURL;
    if (last.kind === 'generating') {
      const slot = (await readSlots(baseURL)).find((s) => s.params?.n_predict === last.nPredict);
      return slot !== undefined && !slot.is_processing && decodedOf(slot) < last.nPredict;
    }
    if (last.kind === 'queued') {
      if (last.done) return true;
      if (!last.queued) return false;
      // Asking the server itself delays its noticing the disconnect (see QUIET_POLL_MS).
      if (Date.now() - this.#lastQueryAt < QUIET_POLL_MS) return false;
      this.#lastQueryAt = Date.now();
      const deferred = (await readMetrics(baseURL))['requests_deferred'];
      // Read after the metrics: blockers never restart, so busy now means busy then. With every
      // slot busy the request cannot have been served: it left the queue because it was cancelled.
      const busy = await last.blockers.allBusy();
      if (deferred === 0 && busy) {
        last.done = true;
        // The next test starts with free slots.
        this.#releaseBlockers();
        await this.#drained;
        return true;
      }
      return false;
    }
    return false;
  }

  /** Chat tasks the server started, counted from its log (one "processing task" line each). */
  requestCount(): number {
    return (this.options.server.log.match(/processing task/g) ?? []).length;
  }

  async close(): Promise<void> {
    this.#releaseBlockers();
    await this.options.dispose();
  }

  async #extrasFor(b: ContractBehaviour | undefined): Promise<LlamaExtras | undefined> {
    this.#last = { kind: 'none' };
    await this.#drained;
    if (!b) return undefined;
    switch (b.type) {
      case 'text':
        return { grammar: literalGrammar(b.text), n_predict: Buffer.byteLength(b.text) + 16 };
      case 'trickle': {
        const nPredict = LONG_GENERATION_TOKENS + this.#seq++;
        this.#last = { kind: 'generating', nPredict };
        return { ignore_eos: true, n_predict: nPredict };
      }
      case 'structured':
        return { n_predict: 4096 };
      case 'toolCall':
        // Needs a tool-capable template (`--jinja`, QWEN_TOOLS_TEMPLATE): the server then forces a
        // call that its grammar allows. The model, not the script, picks the tool's arguments.
        // With the `<tool_call>` token raised (SERVED_TOOLS_MODEL), the model opens the call at once
        // instead of writing the text that the grammar allows before it; the end of turn, raised
        // higher, ends the reply once the call is closed. One call: the grammar then has no comma
        // after the arguments that random weights would take about half the time.
        return {
          tool_choice: 'required',
          parallel_tool_calls: false,
          n_predict: 1024,
          ...(this.options.toolCallToken !== undefined ? { logit_bias: [[this.options.toolCallToken, 38], [SYNTHETIC_TOKEN_IDS.imEnd, 20]] } : {}),
        };
      case 'hang': {
        const blockers = await this.#blockers!;
        await blockers.ready;
        const last: LastRequest = { kind: 'queued', blockers, queued: false, done: false };
        this.#last = last;
        // Runs while the request waits; the server takes up to a second to notice a disconnect.
        void pollUntil(async () => {
          this.#lastQueryAt = Date.now();
          last.queued = ((await readMetrics(this.options.server.baseURL))['requests_deferred'] ?? 0) > 0;
          return last.queued;
        }, 5000).catch(() => undefined);
        return undefined;
      }
      case 'error':
        if (b.kind === 'badRequest') return { grammar: INVALID_GRAMMAR };
        throw new Error(`a real llama-server cannot be made to answer ${b.kind} on demand`);
      default:
        throw new Error(`a real llama-server cannot be scripted to ${b.type}`);
    }
  }

  #releaseBlockers(): void {
    if (!this.#blockers) return;
    this.#drained = this.#blockers.then((b) => b.release());
    this.#blockers = undefined;
  }
}
