import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SyntheticGgufOptions, writeSyntheticGguf } from '@flotilla/testing';

/** Synthetic GGUF models written to a fresh temp folder, for specs and benchmarks. */
export interface SyntheticModels {
  dir: string;
  /** Path of the model written for `name`. */
  path(name: string): string;
  remove(): Promise<void>;
}

export async function writeSyntheticModels(models: Record<string, SyntheticGgufOptions>): Promise<SyntheticModels> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-llama-'));
  const paths = new Map<string, string>();
  await Promise.all(
    Object.entries(models).map(async ([name, options]) => {
      const path = join(dir, `${name}.gguf`);
      await writeSyntheticGguf(path, options);
      paths.set(name, path);
    }),
  );
  return {
    dir,
    path: (name) => {
      const p = paths.get(name);
      if (!p) throw new Error(`no synthetic model '${name}'`);
      return p;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
