import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { FlotillaError } from '../errors/flotilla-error';
import type { RunContext } from '../engine/run-context';
import type { RunOptions } from '../engine/chain-engine';
import type { Chain } from '../steps/define-chain';
import { toJournalJson } from './json-value';
import { RunJournal } from './run-journal';
import type { RunStore, StoredRunOptions } from './run-store.interface';
import { StoreErrors } from './store-errors';
import type { HumanAnswer } from '../steps/human.step';

/** How a run uses the store: a new durable run, or a resume of one. */
export interface DurablePlan {
  store: RunStore;
  /** The chain's hash (see `chainHash`). */
  hash: string;
  resume: boolean;
  /** Resume even though the chain's hash changed. */
  force?: boolean;
  /** How long the run's lease lasts without renewal (it is renewed every third of it). */
  leaseMs: number;
  /** The answer to the question the run waits on (a resume of a `waiting` run). */
  answer?: HumanAnswer;
}

/** A run's lease lasts this long without renewal unless `createFlotilla({ leaseMs })` says otherwise. */
export const DEFAULT_LEASE_MS = 30_000;

/** A lease holder's name: host, process id, and a random part unique to the run execution. */
export function leaseOwner(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/**
 * Whether a holder is a process of this host that no longer exists (killed, crashed): its
 * lease need not be waited out. A reused process id only makes us wait for the expiry.
 */
export function isDeadLocalHolder(owner: string): boolean {
  const [host, pid] = owner.split(':');
  const n = Number(pid);
  if (host !== hostname() || !Number.isInteger(n) || n <= 0 || n === process.pid) return false;
  try {
    process.kill(n, 0);
    return false;
  } catch (e) {
    return (e as { code?: string }).code === 'ESRCH';
  }
}

/** What a durable run starts from once the store has answered. */
export interface DurableStart {
  journal: RunJournal;
  input: unknown;
  /** A deadline across resumes (`deadlineAcross: 'run'`): its length and the run's first start (epoch ms). */
  deadline?: { ms: number; startedAt: number };
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
    const lease = { owner: leaseOwner(), ttlMs: plan.leaseMs };
    await store.createRun({ runId, chain: chain.name, chainHash: hash, input, options: storedOptions(options), usage: { promptTokens: 0, completionTokens: 0, modelCalls: 0 }, createdAt: Date.now() }, lease);
    return { journal: new RunJournal(store, runId, [], lease), input };
  }
  const run = await store.getRun(runId);
  if (!run) throw StoreErrors.runNotFound(runId, describeStore(store));
  if ((run.chainHash !== hash || run.chain !== chain.name) && !plan.force) {
    throw StoreErrors.chainChanged(runId, { chain: run.chain, hash: run.chainHash }, { chain: chain.name, hash });
  }
  if (plan.answer !== undefined && (run.status !== 'waiting' || !run.waiting)) {
    throw new FlotillaError('config', `run "${runId}" is ${run.status}, not waiting for a person: there is nothing to answer`, { details: { reason: 'notWaiting', runId, status: run.status } });
  }
  // Exactly one process executes a run: the lease is taken before the journal is read.
  const lease = { owner: leaseOwner(), ttlMs: plan.leaseMs };
  let holder = await store.acquireLease(runId, lease.owner, lease.ttlMs);
  if (holder && isDeadLocalHolder(holder.owner)) holder = await store.acquireLease(runId, lease.owner, lease.ttlMs, holder.owner);
  if (holder) throw StoreErrors.runLeased(runId, holder, describeStore(store));
  const entries = await store.readJournal(runId);
  // Budgets count what earlier attempts spent; options given to resume win over stored ones.
  ctx.usage.promptTokens = run.usage.promptTokens;
  ctx.usage.completionTokens = run.usage.completionTokens;
  ctx.modelCalls = run.usage.modelCalls;
  const budgets = ctx.budgets as StoredRunOptions;
  for (const key of ['maxTokens', 'maxModelCalls', 'variants'] as const) {
    if (budgets[key] === undefined && run.options[key] !== undefined) (budgets as Record<string, unknown>)[key] = run.options[key];
  }
  const human = { ...(run.status === 'waiting' && run.waiting ? { waiting: run.waiting } : {}), ...(plan.answer === undefined ? {} : { answer: plan.answer }) };
  // A deadline given to resume wins; else the run's own deadline across resumes, if it has one.
  const across = options.deadlineMs !== undefined ? options.deadlineAcross : run.options.deadlineAcross;
  const ms = options.deadlineMs ?? run.options.deadlineMs;
  const deadline = across === 'run' && ms !== undefined ? { ms, startedAt: run.createdAt } : undefined;
  return { journal: new RunJournal(store, runId, entries, lease, human), input: run.input, ...(deadline && { deadline }) };
}

function storedOptions(options: RunOptions): StoredRunOptions {
  const out: StoredRunOptions = {};
  if (options.variants) out.variants = options.variants;
  if (options.maxTokens !== undefined) out.maxTokens = options.maxTokens;
  if (options.maxModelCalls !== undefined) out.maxModelCalls = options.maxModelCalls;
  if (options.source !== undefined) out.source = options.source;
  if (options.deadlineAcross === 'run' && options.deadlineMs !== undefined) {
    out.deadlineMs = options.deadlineMs;
    out.deadlineAcross = 'run';
  }
  return out;
}

function describeStore(store: RunStore): string {
  return store.location ?? store.constructor.name;
}
