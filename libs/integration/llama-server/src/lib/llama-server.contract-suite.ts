import { describeModelClientContract, type ModelClientContractOptions } from '@flotilla/core/testing';
import { ensureLlamaServerBinary, type SyntheticGgufOptions } from '@flotilla/testing';
import { LlamaServerContractHarness } from './llama-server.contract-harness';
import { SERVED_MODEL, startSyntheticLlamaServer, SYNTHETIC_MODEL_ID } from './synthetic-llama-server';

/** The server's `-np` in the contract specs. */
export const CONTRACT_SLOTS = 2;
/** A first run builds llama-server from source: minutes on a small machine. */
const BUILD_TIMEOUT_MS = 15 * 60_000;

/** The llama-server a contract spec runs the suite against (slots are always CONTRACT_SLOTS). */
export interface LlamaServerContractServer {
  /** `-c`, the context over all slots. */
  ctx: number;
  /** More server arguments (e.g. `--jinja`). */
  extraArgs?: string[];
  /** The synthetic model served. @default SERVED_MODEL */
  model?: SyntheticGgufOptions;
}

/**
 * The shared ModelClient contract, with OpenAICompatibleModelClient against llama.cpp's own
 * server serving a synthetic model (LlamaServerContractHarness scripts it): call at the top
 * level of a spec file. Sets the spec's timeout to 60 s (jest.config.cjs sets it too, but a
 * root multi-project run ignores per-project testTimeout) and, before the suite's own beforeAll
 * (which has that timeout), builds or finds the server binary. Each suite starts its own server
 * with CONTRACT_SLOTS slots and a 64-token default length. `errorKinds` defaults to badRequest
 * (the only error a request can provoke: an unparsable grammar) and `cancellationWaitMs` to 5 s
 * (llama-server checks for a closed connection once a second while a request waits).
 */
export function describeLlamaServerContract(name: string, served: LlamaServerContractServer, options: ModelClientContractOptions): void {
  jest.setTimeout(60_000);
  beforeAll(async () => {
    await ensureLlamaServerBinary();
  }, BUILD_TIMEOUT_MS);

  describeModelClientContract(
    name,
    async () => {
      const binary = await ensureLlamaServerBinary();
      const { server, model, dispose } = await startSyntheticLlamaServer(
        { binary, slots: CONTRACT_SLOTS, ctx: served.ctx, defaultMaxTokens: 64, ...(served.extraArgs ? { extraArgs: served.extraArgs } : {}) },
        served.model ?? SERVED_MODEL,
      );
      return new LlamaServerContractHarness({ server, model: SYNTHETIC_MODEL_ID, slots: CONTRACT_SLOTS, dispose, toolCallToken: model.tokens.toolCall });
    },
    { errorKinds: ['badRequest'], cancellationWaitMs: 5000, ...options },
  );
}
