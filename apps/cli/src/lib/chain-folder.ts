import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { type Flotilla, FlotillaError, type ModelClient, type RunHandle, type RunStore } from '@flotilla/core';
import { resolveFileReference } from '@flotilla/chain';
import type { ChainRunner, StoredRunView } from '@flotilla/gateway';
import type { RouterConfig } from '@flotilla/router';
import { prepareChain } from './prepare-chain';
import { describeSchemaShape } from './schema-shape';

/** The extensions a chain name is looked up with, in order. */
const CHAIN_EXTENSIONS = ['.yaml', '.yml', '.json'] as const;

function refused(status: number, message: string): FlotillaError {
  return new FlotillaError('badRequest', message, { retryable: false, details: { status } });
}

/**
 * `flotilla serve --chains <folder>`: chains by name from one folder. `<name>` is the file
 * `<folder>/<name>.yaml` (or `.yml`, `.json`), kept inside the folder by the chain loader's
 * own `file:` containment (after `..` segments and symbolic links): a name that leaves the
 * folder is refused (403), a name with no file is 404. Each run loads its file afresh, with
 * every check `flotilla run` makes, and runs on a Flotilla of its own (`flotilla()`, closed
 * when the run ends: agent names of different chains, or of a chain file edited between
 * runs, never meet); with a run store, runs are journaled and can be resumed and answered by id.
 * `tools` are the names the server's Flotillas are given (`flotilla serve --tools`, MCP servers).
 */
export function chainFolderRunner(folder: string, flotilla: () => Flotilla, fleet: RouterConfig, store?: RunStore, tools: readonly string[] = []): ChainRunner {
  const root = path.resolve(folder);

  function closedAtEnd(f: Flotilla, handle: RunHandle): RunHandle {
    void handle.result.finally(() => f.close());
    return handle;
  }

  async function fileOf(name: string): Promise<string> {
    for (const ext of CHAIN_EXTENSIONS) {
      const r = await resolveFileReference(`${name}${ext}`, root);
      if ('problem' in r) throw refused(403, `chain "${name}" is outside the chains folder: chains are served from --chains only`);
      if (existsSync(r.file)) return r.file;
    }
    throw refused(404, `no chain "${name}" in the chains folder (looked for ${CHAIN_EXTENSIONS.map((e) => name + e).join(', ')})`);
  }

  async function load(file: string, name: string) {
    try {
      return await prepareChain(file, { fleet, tools });
    } catch (e) {
      if (!FlotillaError.is(e)) throw e;
      // The chain file is the server's, not the caller's: a server error naming the chain.
      throw new FlotillaError('config', `chain "${name}" cannot run: ${e.message}`, { cause: e, details: { status: 500 } });
    }
  }

  const runner: ChainRunner = {
    async start(name, input, options): Promise<RunHandle> {
      const file = await fileOf(name);
      const compiled = await load(file, name);
      if (compiled.input) {
        const shape = describeSchemaShape(compiled.input.jsonSchema);
        if (input === undefined) throw refused(400, `chain "${name}" needs an input: ${shape}`);
        const r = compiled.input.parse(input);
        if (!r.ok) throw refused(400, `the input does not match chain "${name}"'s input schema (${shape}): ${r.error}`);
      }
      if (options.runId !== undefined && store && (await store.getRun(options.runId))) throw refused(409, `run ${options.runId} exists in the run store; choose another runId, or resume it`);
      const f = flotilla();
      return closedAtEnd(f, f.run(compiled.chain, input, { source: file, ...(options.runId === undefined ? {} : { runId: options.runId }) }));
    },
  };
  if (!store) return runner;
  return {
    ...runner,
    async resume(runId, options): Promise<RunHandle> {
      const record = await store.getRun(runId);
      if (!record) throw refused(404, `no run ${runId} in the run store`);
      const source = record.options.source;
      // The stored source is checked like a name: a run store shared with other tools cannot make the gateway load a file outside the folder.
      const ref = source === undefined ? undefined : path.relative(root, source);
      if (ref === undefined || !CHAIN_EXTENSIONS.some((e) => ref.endsWith(e))) throw refused(409, `run ${runId} was not started from a chain file the gateway serves`);
      const file = await fileOf(ref.slice(0, ref.length - path.extname(ref).length));
      const compiled = await load(file, record.chain);
      const f = flotilla();
      return closedAtEnd(f, f.resume(compiled.chain, runId, options.answer === undefined ? {} : { answer: options.answer }));
    },
    async find(runId): Promise<StoredRunView | undefined> {
      const r = await store.getRun(runId);
      if (!r) return undefined;
      return { runId: r.runId, chain: r.chain, status: r.status, ...(r.output === undefined ? {} : { output: r.output }), ...(r.error ? { error: r.error } : {}), ...(r.waiting ? { waiting: r.waiting } : {}) };
    },
  };
}

/** `client` for Flotillas that share it: everything but `close()`, which stays its owner's. */
export function sharedClient<C extends ModelClient>(client: C): C {
  return new Proxy(client, {
    get(target, key) {
      if (key === 'close') return undefined;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
