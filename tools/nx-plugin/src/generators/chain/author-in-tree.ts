import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Tree } from '@nx/devkit';
import { authorCassette } from '@flotilla/authoring';
import type { NormalizedChainOptions } from './normalize';

export const AUTHORED_BY = 'nx g @flotilla/nx-plugin:chain';

/**
 * Authors the chain's cassette from its hand-written replies with the real chain runner,
 * which reads files: the chain folder is copied from the tree to a temporary folder, the
 * cassette authored there and written back into the tree.
 */
export async function authorCassetteInTree(tree: Tree, options: NormalizedChainOptions): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-chain-'));
  try {
    const local = (treePath: string) => path.join(tmp, path.relative(options.chainDir, treePath));
    copyOut(tree, options.chainDir, local);
    await authorCassette(local(path.posix.join(options.chainDir, 'chain.yaml')), local(options.replySource), local(options.cassette), { by: AUTHORED_BY });
    tree.write(options.cassette, fs.readFileSync(local(options.cassette)));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function copyOut(tree: Tree, dir: string, local: (treePath: string) => string): void {
  for (const child of tree.children(dir)) {
    const treePath = path.posix.join(dir, child);
    if (tree.isFile(treePath)) {
      fs.mkdirSync(path.dirname(local(treePath)), { recursive: true });
      fs.writeFileSync(local(treePath), tree.read(treePath)!);
    } else {
      copyOut(tree, treePath, local);
    }
  }
}
