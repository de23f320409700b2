import type { HttpExchange } from './http-exchange';
import { contextOverflowBody } from './openai-error-body';
import { DEFAULT_CONTEXT_LENGTH, DEFAULT_EMBEDDING_DIMENSIONS, estimateTokens, type OpenAITestModel } from './openai-server.options';
import { embeddingVector, toBase64Floats } from './embedding-vector';

/**
 * Answers `/v1/embeddings` once model and faults are settled: llama.cpp's overflow error when
 * an input exceeds the context, else one deterministic vector per input (floats, or base64
 * when `encoding_format` asks for it, as the OpenAI SDK does by default).
 */
export async function writeEmbeddings(
  ex: HttpExchange,
  model: OpenAITestModel,
  inputs: readonly string[],
  options: { base64: boolean; forceOverflow: boolean; delayMs: number },
): Promise<void> {
  const contextLength = model.contextLength ?? DEFAULT_CONTEXT_LENGTH;
  const tokens = inputs.map((i) => estimateTokens(i));
  const longest = Math.max(0, ...tokens);
  if (options.forceOverflow || longest > contextLength) {
    return ex.json(400, contextOverflowBody(Math.max(longest, contextLength + 1), contextLength));
  }
  await ex.sleep(options.delayMs);
  const dims = model.embeddingDimensions ?? DEFAULT_EMBEDDING_DIMENSIONS;
  const total = tokens.reduce((a, b) => a + b, 0);
  ex.json(200, {
    object: 'list',
    model: model.id,
    data: inputs.map((input, index) => {
      const vector = embeddingVector(input, dims);
      return { object: 'embedding', index, embedding: options.base64 ? toBase64Floats(vector) : vector };
    }),
    usage: { prompt_tokens: total, total_tokens: total },
  });
}
