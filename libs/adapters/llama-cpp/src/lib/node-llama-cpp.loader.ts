import { pathToFileURL } from 'node:url';
import type { Llama } from 'node-llama-cpp';
import { importModule, resolveOptionalPeer } from '@flotilla/core';

export type NodeLlamaCpp = typeof import('node-llama-cpp');

/** An optional peer: installed by users of the embedded engine only (docs/getting-started.md has its lean, CPU-only install). */
const NODE_LLAMA_CPP = { name: 'node-llama-cpp', neededBy: 'the embedded llama.cpp engine (@flotilla/adapter-llama-cpp)', install: 'npm install node-llama-cpp' };

let imported: Promise<NodeLlamaCpp> | undefined;

/** node-llama-cpp's module namespace, imported once per process. */
export function importNodeLlamaCpp(): Promise<NodeLlamaCpp> {
  imported ??= importModule(pathToFileURL(resolveOptionalPeer(require, NODE_LLAMA_CPP)).href) as unknown as Promise<NodeLlamaCpp>;
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
