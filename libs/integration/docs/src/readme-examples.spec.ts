import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT, extractSnippets } from './snippets';

// The README's code is the files the consumer test (tools/consumer) compiles and runs from the
// installed packages: each ```ts block of README.md follows a `<!-- examples/readme/<file>.ts ... -->`
// line and equals that file, and every file there is in the README.

const README = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
const EXAMPLES = 'examples/readme';

describe('README examples', () => {
  const lines = README.split('\n');
  const blocks = extractSnippets('README.md', README).map((s) => {
    const marker = /^<!-- (examples\/readme\/[\w-]+\.ts)\b/.exec(lines[s.line - 3] ?? '');
    return { line: s.line, code: `${s.code}\n`, file: marker?.[1] };
  });

  it('every ts block of the README names its file in examples/readme', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    expect(blocks.filter((b) => !b.file).map((b) => `README.md:${b.line}`)).toEqual([]);
  });

  it('each block is its file, word for word', () => {
    const differing = blocks.filter((b) => b.file && fs.readFileSync(path.join(REPO_ROOT, b.file), 'utf8') !== b.code).map((b) => `README.md:${b.line} differs from ${b.file}`);
    expect(differing).toEqual([]);
  });

  it('every file of examples/readme is in the README', () => {
    const files = fs.readdirSync(path.join(REPO_ROOT, EXAMPLES)).filter((f) => f.endsWith('.ts')).map((f) => `${EXAMPLES}/${f}`);
    expect(files.filter((f) => !blocks.some((b) => b.file === f))).toEqual([]);
  });
});
