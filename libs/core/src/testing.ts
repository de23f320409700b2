// @flotilla/core/testing: helpers for tests of Flotilla and of code built on it.
export { ScriptedModelClient } from './testing/scripted.model-client';
export type { ScriptedReply, ScriptFn } from './testing/scripted.model-client';
export { describeModelClientContract, collectChat, CONTRACT_SCHEMA } from './testing/model-client-contract';
export type {
  ModelClientContractHarness,
  ModelClientContractOptions,
  ContractBehaviour,
  ContractErrorKind,
  ContractCase,
} from './testing/model-client-contract';
export { describeRunStoreContract, sampleRun } from './testing/run-store-contract';
export type { RunStoreContractHarness } from './testing/run-store-contract';
