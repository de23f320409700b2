import { pathToFileURL } from 'node:url';
import * as vm from 'node:vm';
import type { Llama } from 'node-llama-cpp';
import { resolveOptionalPeer } from '@flotilla/core';

export type NodeLlamaCpp = typeof import('node-llama-cpp');

/**
 * A real `import()` that survives compilation to CommonJS (swc and tsc rewrite a literal
 * `import()` into `require()`, and node-llama-cpp is ESM with top-level await, so `require`
 * fails with ERR_REQUIRE_ASYNC_MODULE).
 */
const nativeImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

/**
 * The same import through Node's own loader in the main context. Needed where code runs
 * inside a `vm` context that has no dynamic-import callback (jest without
 * --experimental-vm-modules): there `nativeImport` rejects with ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING*.
 */
function mainContextImport(specifier: string): Promise<unknown> {
  const loader = (vm.constants as unknown as { USE_MAIN_CONTEXT_DEFAULT_LOADER?: symbol }).USE_MAIN_CONTEXT_DEFAULT_LOADER;
  if (loader === undefined) return Promise.reject(new Error('this Node version cannot import ESM from a vm context (needs Node >= 20.12)'));
  const load = vm.runInThisContext('(specifier) => import(specifier)', { importModuleDynamically: loader } as vm.RunningScriptOptions) as (
    specifier: string,
  ) => Promise<unknown>;
  return load(specifier);
}

/** An optional peer: installed by users of the embedded engine only (docs/getting-started.md has its lean, CPU-only install). */
const NODE_LLAMA_CPP = { name: 'node-llama-cpp', neededBy: 'the embedded llama.cpp engine (@flotilla/adapter-llama-cpp)', install: 'npm install node-llama-cpp' };

let imported: Promise<NodeLlamaCpp> | undefined;

/** node-llama-cpp's module namespace, imported once per process. */
export function importNodeLlamaCpp(): Promise<NodeLlamaCpp> {
  imported ??= (async () => {
    const url = pathToFileURL(resolveOptionalPeer(require, NODE_LLAMA_CPP)).href;
    try {
      return (await nativeImport(url)) as NodeLlamaCpp;
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (typeof code === 'string' && code.startsWith('ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING')) return (await mainContextImport(url)) as NodeLlamaCpp;
      throw e;
    }
  })();
  imported.catch(() => (imported = undefined));
  return imported;
}

const instances = new Map<number, Promise<Llama>>();

/**
 * The CPU backend with at most `maxThreads` threads, shared by every client that asks for
 * the same count (getLlama takes ~0.4 s). Never downloads or builds anything: without a
 * prebuilt binary it fails (NoBinaryFoundError) instead.
 */
export function sharedLlama(maxThreads: number): Promise<Llama> {
  let llama = instances.get(maxThreads);
  if (!llama) {
    llama = importNodeLlamaCpp().then((m) =>
      m.getLlama({ gpu: false, build: 'never', skipDownload: true, maxThreads, logLevel: m.LlamaLogLevel.error, progressLogs: false }),
    );
    llama.catch(() => instances.delete(maxThreads));
    instances.set(maxThreads, llama);
  }
  return llama;
}
