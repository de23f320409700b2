import { describeLlamaServerContract } from './lib/llama-server.contract-suite';
import { SERVED_TOOLS_MODEL } from './lib/synthetic-llama-server';

// The shared contract's tool cases, with OpenAICompatibleModelClient against llama.cpp's server
// run with `--jinja` on a synthetic model whose chat template renders tools, calls and results
// natively in the Hermes / Qwen 2.5 style (QWEN_TOOLS_TEMPLATE): the server recognises it as
// tool-capable, parses `<tool_call>` replies into OpenAI tool calls, and under
// `tool_choice: "required"` forces a grammar-valid call even from random weights. The cases that
// need no tools run in llama-server.contract.spec.ts (same server, ChatML); skipped here:
// - toolArguments: the server refuses a custom grammar together with tools, so the model, not
//   the script, picks a call's arguments; the cases that check exact arguments cannot pass.
// - parallelToolCalls: random weights cannot be steered into writing two calls in one reply.
// - toolRecovery: a call written as text needs a scripted text, i.e. a grammar, refused with tools.
// - toolCalls: checks the scripted arguments too (covered by toolArguments' reason).
// - toolChoice: llama-server accepts only "auto", "none" and "required" (a named tool is refused).
// - structured (and structured output with tools): see llama-server.contract.spec.ts.

describeLlamaServerContract(
  'OpenAICompatibleModelClient against llama.cpp llama-server --jinja (tool cases)',
  { ctx: 2 * 8192, extraArgs: ['--jinja'], model: SERVED_TOOLS_MODEL },
  {
    skip: ['structured', 'toolCalls', 'toolChoice', 'toolArguments', 'parallelToolCalls', 'toolRecovery', 'midStream', 'cancellation', 'signal', 'timeouts', 'errors', 'concurrency'],
  },
);
