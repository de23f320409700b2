import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QWEN_TOOLS_TEMPLATE, writeSyntheticGguf, type SyntheticGgufInfo, type SyntheticGgufOptions } from '@flotilla/testing';
import { LlamaServerProcess, type LlamaServerOptions } from './llama-server.process';

/** The id the server serves its model under (`--alias`). */
export const SYNTHETIC_MODEL_ID = 'synthetic-llama';

/**
 * The synthetic model the tests serve: default size (2 MB), and an end-of-turn bias so low
 * that the model never stops by itself: every length is set by the request (or by the
 * server's `-n` default), and no reply comes back empty by chance.
 */
export const SERVED_MODEL: SyntheticGgufOptions = { stopBias: -4, contextLength: 32768 };

/**
 * SERVED_MODEL with a chat template that renders tools, calls and results natively (Hermes /
 * Qwen 2.5), for a server run with `--jinja`, and `<tool_call>` as one token that a scripted
 * tool call raises.
 */
export const SERVED_TOOLS_MODEL: SyntheticGgufOptions = { ...SERVED_MODEL, chatTemplate: QWEN_TOOLS_TEMPLATE, toolCallTokens: true };

export interface SyntheticLlamaServer {
  server: LlamaServerProcess;
  model: SyntheticGgufInfo;
  /** Stops the server and removes the model's temp folder. */
  dispose(): Promise<void>;
}

/** Writes a synthetic GGUF into a fresh temp folder and serves it with llama-server on 127.0.0.1. */
export async function startSyntheticLlamaServer(
  options: Omit<LlamaServerOptions, 'model'>,
  modelOptions: SyntheticGgufOptions = SERVED_MODEL,
): Promise<SyntheticLlamaServer> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-llama-server-'));
  try {
    const model = await writeSyntheticGguf(join(dir, 'model.gguf'), modelOptions);
    const server = await LlamaServerProcess.start({
      ...options,
      model: model.path,
      extraArgs: ['--alias', SYNTHETIC_MODEL_ID, ...(options.extraArgs ?? [])],
    });
    return {
      server,
      model,
      dispose: async () => {
        await server.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}
