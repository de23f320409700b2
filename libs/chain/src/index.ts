// @flotilla/chain: chain files (YAML / JSON) and Dotprompt .prompt agents, compiled into
// core's step tree and agent classes.
export { loadChain, compileChainSource } from './lib/load-chain';
export type { LoadChainOptions, CompiledChain } from './lib/load-chain';
export { parseChain } from './lib/parse/parse-chain';
export type { ParsedChain } from './lib/parse/parse-chain';
export { formatDiagnostic, chainInvalid, diagnosticsOf } from './lib/parse/chain-diagnostic';
export type { ChainDiagnostic, DiagnosticSeverity, SourcePosition } from './lib/parse/chain-diagnostic';
export { DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, DEFAULT_MAX_ALIAS_COUNT, DEFAULT_MAX_NODES } from './lib/parse/source-limits';
export type { SourceLimits } from './lib/parse/source-limits';
export { ChainFileSchema, chainFileJsonSchema, CHAIN_FILE_VERSION, STEP_KINDS } from './lib/parse/chain-file.schema';
export type { ChainFile, StepDecl, AgentDecl, ConditionDecl } from './lib/parse/chain-file.schema';
export { loadPromptFileAgent } from './lib/agents/prompt-file-agent';
export type { PromptFileOptions } from './lib/agents/prompt-file-agent';
export { chainAgentClass } from './lib/agents/chain-agent.factory';
export type { ChainAgentSpec } from './lib/agents/chain-agent.factory';
export { compileTemplate, checkTemplate, TEMPLATE_HELPERS } from './lib/template/template-engine';
export type { CompiledTemplate } from './lib/template/template-engine';
export { bindChain } from './lib/bind-chain';
export { checkAgentModels } from './lib/validate/agent-models';
export { readSourceText } from './lib/parse/read-source';
export { resolveFileReference } from './lib/parse/file-reference';
export { parseDataText } from './lib/parse/parse-data';
export { DOTPROMPT_KEYS } from './lib/agents/prompt-file-agent';
