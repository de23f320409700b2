import { describeLlamaServerContract } from './lib/llama-server.contract-suite';

// The shared ModelClient contract, with OpenAICompatibleModelClient against llama.cpp's own
// server (built from the source node-llama-cpp ships, see docs/llama-server.md) serving a
// synthetic random-weights model. What the harness scripts, and how, is in
// LlamaServerContractHarness; the server each suite starts (and the errorKinds and
// cancellationWaitMs every llama-server suite runs with), in describeLlamaServerContract.
// Cases a real server cannot be made to show:
// - structured: llama.cpp turns `type: number` into a grammar without minimum/maximum
//   (common/json-schema.cpp), so CONTRACT_SCHEMA's `ratio` (0..1) holds only if the model
//   wants it; random weights write numbers such as -8e21. The rest of the schema, and the
//   agents' PLAN and VERDICT, are checked in llama-server.checks.spec.ts.
// - toolCalls and the other tool cases: the synthetic model's ChatML template has no tool-call
//   syntax, so the server parses no calls. They run in llama-server-jinja.contract.spec.ts.
// - midStream: the server reports errors inside a stream only on internal failures that no
//   request can trigger. A dropped connection (the server killed mid-stream) is checked in
//   llama-server.checks.spec.ts.
// - errors: only badRequest can be provoked (an unparsable grammar: 400). The server serves its
//   one model under any name (no 404), answers 503 only while loading, and 500 only on
//   internal failures.

describeLlamaServerContract(
  'OpenAICompatibleModelClient against llama.cpp llama-server',
  // 16384 tokens a slot: room for the long generations that stand for slow replies.
  { ctx: 2 * 16384 },
  {
    // Tool cases need a chat template the server recognises as tool-capable: they run in
    // llama-server-jinja.contract.spec.ts (`--jinja`, QWEN_TOOLS_TEMPLATE). A call written as text (toolRecovery): the harness scripts text with a grammar, and the
    // server refuses a grammar together with tools ("Cannot use custom grammar constraints with
    // tools"); random weights cannot be steered into writing one. Recovery itself is in core and
    // runs on this client's replies in the OpenAI-compatible simulator's contract.
    skip: ['structured', 'toolCalls', 'toolChoice', 'toolLoop', 'toolRecovery', 'midStream'],
  },
);
