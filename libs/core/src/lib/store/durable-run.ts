import { FlotillaError } from '../errors/flotilla-error';
import type { RunContext } from '../engine/run-context';
import type { RunOptions } from '../engine/chain-engine';
import type { Chain } from '../steps/define-chain';
import { toJournalJson } from './json-value';
import { RunJournal } from './run-journal';
import type { RunStore, StoredRunOptions } from './run-store.interface';
import { StoreErrors } from './store-errors';

/** How a run uses the store: a new durable run, or a resume of one. */
export interface DurablePlan {
  store: RunStore;
  /** The chain's hash (see `chainHash`). */
  hash: string;
  resume: boolean;
  /** Resume even though the chain's hash changed. */
  force?: boolean;
}

/** What a durable run starts from once the store has answered. */
export interface DurableStart {
  journal: RunJournal;
  input: unknown;
}

/**
 * Records a new run (its input must be JSON), or loads a run to resume: refuses another
 * chain, restores the counters it spent and the options that steer it, reads its journal.
 */
export async function prepareDurable(plan: DurablePlan, ctx: RunContext, chain: Chain<unknown, unknown>, input: unknown, options: RunOptions): Promise<DurableStart> {
  const { store, hash } = plan;
  const runId = ctx.runId;
  if (!plan.resume) {
    try {
      toJournalJson(input, { step: '(run input)' });
    } catch (e) {
      throw new FlotillaError('config', `run "${runId}": the run input cannot be stored: ${(e as Error).message.replace(/^step "\(run input\)" gave a value the run journal cannot store: /, '')}`, {
        details: { reason: 'notJson', runId },
      });
    }
    await store.createRun({ runId, chain: chain.name, chainHash: hash, input, options: storedOptions(options), usage: { promptTokens: 0, completionTokens: 0, modelCalls: 0 }, createdAt: Date.now() });
    return { journal: new RunJournal(store, runId), input };
  }
  const run = await store.getRun(runId);
  if (!run) throw StoreErrors.runNotFound(runId, describeStore(store));
  if ((run.chainHash !== hash || run.chain !== chain.name) && !plan.force) {
    throw StoreErrors.chainChanged(runId, { chain: run.chain, hash: run.chainHash }, { chain: chain.name, hash });
  }
  const entries = await store.readJournal(runId);
  await store.reopen(runId);
  // Budgets count what earlier attempts spent; options given to resume win over stored ones.
  ctx.usage.promptTokens = run.usage.promptTokens;
  ctx.usage.completionTokens = run.usage.completionTokens;
  ctx.modelCalls = run.usage.modelCalls;
  const budgets = ctx.budgets as StoredRunOptions;
  for (const key of ['maxTokens', 'maxModelCalls', 'variants'] as const) {
    if (budgets[key] === undefined && run.options[key] !== undefined) (budgets as Record<string, unknown>)[key] = run.options[key];
  }
  return { journal: new RunJournal(store, runId, entries), input: run.input };
}

function storedOptions(options: RunOptions): StoredRunOptions {
  const out: StoredRunOptions = {};
  if (options.variants) out.variants = options.variants;
  if (options.maxTokens !== undefined) out.maxTokens = options.maxTokens;
  if (options.maxModelCalls !== undefined) out.maxModelCalls = options.maxModelCalls;
  return out;
}

function describeStore(store: RunStore): string {
  return store.location ?? store.constructor.name;
}
