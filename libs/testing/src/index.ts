// @flotilla/testing: servers and helpers that stand in for model servers in tests and benchmarks.
export { OllamaSimServer } from './lib/ollama/ollama-sim.server';
export { toolCallsAsText } from './lib/tools/tool-call-text';
export type { OllamaSimOptions } from './lib/ollama/ollama-sim.options';
export type { SimModelSpec } from './lib/ollama/sim-model';
export type { SimFault, SimReply, SimReplySpec, SimToolCall, SimRequestContext, ReplyScript, FaultRule } from './lib/ollama/sim-reply';
export type { SimRequestRecord } from './lib/ollama/sim-recorder';
export type { SchedulerStats } from './lib/ollama/sim-scheduler.types';

export { valueForSchema } from './lib/schema/schema-value.generator';

// OpenAI-compatible test server (maintained in lib/openai by the OpenAI adapter's owner).
export { OpenAITestServer, OPENAI_FAULTS, faultMarker, embeddingVector } from './lib/openai/index';
export type { OpenAITestServerOptions, OpenAITestModel, OpenAILatencyModel, OpenAIFault, OpenAIFaultName, OpenAIFaultRule, RecordedRequest, OpenAIErrorBody, OpenAIScriptedReply } from './lib/openai/index';

// Synthetic GGUF models (random weights) for the embedded llama.cpp engine.
export { writeSyntheticGguf, syntheticGguf, CHATML_TEMPLATE, QWEN_TOOLS_TEMPLATE, ONE_TOKEN_CALL_TEMPLATE } from './lib/gguf/synthetic-gguf';
export { SYNTHETIC_GGUF_DEFAULTS } from './lib/gguf/synthetic-gguf.options';
export type { SyntheticGgufOptions, SyntheticGgufInfo } from './lib/gguf/synthetic-gguf.options';
export { SYNTHETIC_TOKEN_IDS } from './lib/gguf/byte-vocab';
export { readGgufHeader } from './lib/gguf/gguf.reader';
export type { GgufHeader, GgufTensorInfo } from './lib/gguf/gguf.reader';
// The Ollama simulator as a child process (tests that kill a server for real).
export { ollamaSimCommand, spawnOllamaSim, type OllamaSimProcess } from './lib/ollama/ollama-sim.process';
export { WORKSPACE_ROOT } from './lib/llama-server/llama-server.binary';
export { ensureLlamaServerBinary, BUILD_SCRIPT as LLAMA_SERVER_BUILD_SCRIPT, SETUP_LINE, BUILD_TIMEOUT_MS as LLAMA_SERVER_BUILD_TIMEOUT_MS } from './lib/llama-server/llama-server.binary';

// Hostile servers (black hole, headers then silence, trickle, reset, garbage) for deadline tests.
export { HostileServer } from './lib/hostile/hostile.server';
export { HOSTILE_MODES, DEFAULT_TRICKLE_INTERVAL_MS, DEFAULT_RESET_AFTER_BYTES } from './lib/hostile/hostile-server.options';
export type { HostileMode, HostileFormat, HostileServerOptions } from './lib/hostile/hostile-server.options';
// Deadline specs against hostile servers: the servers a suite starts, the silent ones, a timed call, the timeout it must end in.
export { timed, hostileServersForSuite, SILENT_HOSTILE_SERVERS, expectDeadlineTimeout, type TimedCall } from './lib/hostile/deadline-checks';
export { freePort } from './lib/net/free-port';
export { ConnectionCountingProxy } from './lib/net/connection-counting.proxy';

// Headless system Chromium for browser specs (playwright-core loaded on launch); a missing browser fails with the setup line.
export { launchHeadlessChromium, openWatchedPage, CHROMIUM_PATH, CHROMIUM_ARGS, type HeadlessChromium, type WatchedPage } from './lib/browser/headless-chromium';

// The shared ModelClient contract (@flotilla/core/testing) over the simulators: behaviours scripted as replies, cancellations and requests observed.
export { ollamaSimContractScripting, openAITestServerContractScripting, ollamaSimReplyFor, openAITestServerReplyFor, type ContractScripting } from './lib/contract/contract-scripting';
export { processAlive } from './lib/process/process-alive';
