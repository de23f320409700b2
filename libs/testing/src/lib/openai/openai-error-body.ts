/** OpenAI error bodies as vLLM and llama.cpp send them (`code` is the numeric status there). */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: number | string | null; [extra: string]: unknown };
}

export function errorBody(status: number, message: string, type = defaultType(status), extra: Record<string, unknown> = {}): OpenAIErrorBody {
  return { error: { message, type, param: null, code: status, ...extra } };
}

export function contextOverflowBody(nPromptTokens: number, nCtx: number): OpenAIErrorBody {
  return errorBody(400, 'the request exceeds the available context size, try increasing it', 'exceed_context_size_error', {
    n_prompt_tokens: nPromptTokens,
    n_ctx: nCtx,
  });
}

function defaultType(status: number): string {
  if (status === 400) return 'invalid_request_error';
  if (status === 401) return 'authentication_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  return 'api_error';
}
