import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseRouterConfig } from '@flotilla/router';
import { REPO_ROOT, documentedFiles } from './snippets';

/** Every ```yaml block of the documentation that is a whole fleet file (it has `endpoints:`): it must be one the router takes. */
function fleetBlocks(): { at: string; text: string }[] {
  const out: { at: string; text: string }[] = [];
  for (const doc of documentedFiles()) {
    const lines = fs.readFileSync(path.join(REPO_ROOT, doc), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (!/^\s*```yaml\s*$/.test(lines[i]!)) continue;
      const indent = /^(\s*)/.exec(lines[i]!)![1]!.length;
      let end = i + 1;
      while (end < lines.length && !/^\s*```\s*$/.test(lines[end]!)) end++;
      const text = lines.slice(i + 1, end).map((l) => l.slice(Math.min(indent, /^(\s*)/.exec(l)![1]!.length))).join('\n');
      if (/^endpoints:/m.test(text)) out.push({ at: `${doc}:${i + 2}`, text });
      i = end;
    }
  }
  return out;
}

describe('fleet files in the documentation', () => {
  const blocks = fleetBlocks();
  it('finds them (the fleet reference and the MCP section among them)', () => {
    expect(blocks.map((b) => b.at.split(':')[0])).toEqual(expect.arrayContaining(['docs/deployment.md', 'docs/tools.md']));
  });
  it.each(blocks.map((b) => [b.at, b.text]))('%s is a valid fleet file', (at, text) => {
    expect(() => parseRouterConfig(text, at)).not.toThrow();
  });
});
