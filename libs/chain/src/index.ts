// @flotilla/chain: chain files (YAML / JSON) and Dotprompt .prompt agents, compiled into
// core's step tree and agent specs; template agents for code; tool modules (user code named
// in configuration, never by a chain file).
export { loadChain, compileChainSource } from './lib/load-chain';
export type { LoadChainOptions, CompiledChain } from './lib/load-chain';
export { formatDiagnostic, chainInvalid, diagnosticsOf } from './lib/parse/chain-diagnostic';
export type { ChainDiagnostic, DiagnosticSeverity, SourcePosition } from './lib/parse/chain-diagnostic';
export { DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, DEFAULT_MAX_ALIAS_COUNT, DEFAULT_MAX_NODES } from './lib/parse/source-limits';
export type { SourceLimits } from './lib/parse/source-limits';
export { CHAIN_FILE_VERSION, stepBase } from './lib/parse/chain-file.schema';
export type { ChainFile, StepDecl, AgentDecl, ConditionDecl } from './lib/parse/chain-file.schema';
export { chainFileJsonSchema } from './lib/parse/chain-schema-file';
export { BUILT_IN_STEP_KINDS } from './lib/kinds/built-in-kinds';
export { FileStepKinds, refFn } from './lib/kinds/file-step-kind';
export type { FileStepKind, StepCompiler, StepSite, CompiledStep } from './lib/kinds/file-step-kind';
export { templateAgent, templateSourceOf } from './lib/agents/chain-agent';
export type { TemplateAgentSpec, TemplateAgentDefinition, TemplateSource } from './lib/agents/chain-agent';
export { checkAgentModels } from './lib/validate/agent-models';
export { readSourceText } from './lib/parse/read-source';
export { resolveFileReference } from './lib/parse/file-reference';

export { parseDataText } from './lib/parse/parse-data';

export type { StaticType } from './lib/validate/static-type';
export { loadToolModules } from './lib/tools/load-tool-modules';
export type { LoadToolModulesOptions } from './lib/tools/load-tool-modules';
