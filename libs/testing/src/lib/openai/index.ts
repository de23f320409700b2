// OpenAI-compatible test server (vLLM / llama.cpp server wire format).
export { OpenAITestServer } from './openai-test.server';
export type { OpenAITestServerOptions, OpenAITestModel, OpenAILatencyModel } from './openai-server.options';
export { OPENAI_FAULTS, faultMarker, faultFromText } from './openai-fault';
export type { OpenAIFault, OpenAIFaultName, OpenAIFaultRule } from './openai-fault';
export type { RecordedRequest } from './request-record';
export type { OpenAIErrorBody } from './openai-error-body';
export type { OpenAIScriptedReply } from './openai-scripted-reply';
export { embeddingVector } from './embedding-vector';
