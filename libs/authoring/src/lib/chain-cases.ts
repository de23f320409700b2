import * as fs from 'node:fs';
import * as path from 'node:path';

/** One authored run of a chain: the chain file, its hand-written replies and the cassette made from them. */
export interface ChainCase {
  /** The chain's folder name. */
  example: string;
  chain: string;
  /** `<folder>/cassettes/src/<case>.yaml` */
  source: string;
  /** `<folder>/cassettes/<case>.json` */
  cassette: string;
  /** `<folder>/tools.mjs`, when the chain's agents have tools: passed as `flotilla run --tools` (never loaded because it is there). */
  tools?: string;
}

/** The cases of one chain folder: `<folder>/chain.yaml` with `<folder>/cassettes/src/<case>.yaml`. */
export function chainCases(chainDir: string): ChainCase[] {
  const src = path.join(chainDir, 'cassettes', 'src');
  if (!fs.existsSync(src)) return [];
  const tools = path.join(chainDir, 'tools.mjs');
  return fs
    .readdirSync(src)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ example: path.basename(chainDir), chain: path.join(chainDir, 'chain.yaml'), source: path.join(src, f), cassette: path.join(chainDir, 'cassettes', f.replace(/\.yaml$/, '.json')), ...(fs.existsSync(tools) ? { tools } : {}) }));
}

/** Every example with hand-written replies: `examples/<name>/cassettes/src/<case>.yaml`. */
export function exampleCases(examplesDir: string): ChainCase[] {
  return fs
    .readdirSync(examplesDir)
    .sort()
    .flatMap((example) => chainCases(path.join(examplesDir, example)));
}
