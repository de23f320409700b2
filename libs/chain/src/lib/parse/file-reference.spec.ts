import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type ChainDiagnostic, diagnosticsOf } from './chain-diagnostic';
import { loadChain } from '../load-chain';

const PROMPT = '---\nmodel: m\n---\nSay hi\n';

let root: string;
let chainDir: string;
beforeEach(() => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-contain-')));
  chainDir = path.join(root, 'chain');
  fs.mkdirSync(path.join(chainDir, 'prompts'), { recursive: true });
  fs.mkdirSync(path.join(root, 'shared'));
  fs.writeFileSync(path.join(chainDir, 'prompts', 'inside.prompt'), PROMPT);
  fs.writeFileSync(path.join(root, 'shared', 'outside.prompt'), PROMPT);
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

/** A chain whose one agent is `file: <ref>`; its diagnostics (none when it loads). */
async function load(ref: string, allowDirs?: string[]): Promise<ChainDiagnostic[]> {
  const file = path.join(chainDir, 'chain.yaml');
  fs.writeFileSync(file, `name: c\nagents:\n  a: { file: ${JSON.stringify(ref)} }\nsteps:\n  - call: a\n`);
  return loadChain(file, { allowDirs }).then(() => [], diagnosticsOf);
}

describe('file: references stay inside the chain\'s folder', () => {
  it('a file in the folder or a subfolder loads, also through a symlink that stays inside', async () => {
    expect(await load('prompts/inside.prompt')).toEqual([]);
    expect(await load('./prompts/../prompts/inside.prompt')).toEqual([]);
    fs.symlinkSync(path.join(chainDir, 'prompts', 'inside.prompt'), path.join(chainDir, 'link.prompt'));
    expect(await load('link.prompt')).toEqual([]);
  });

  it('an absolute path is refused with file:line:col, even to a real prompt file', async () => {
    const [d] = await load(path.join(root, 'shared', 'outside.prompt'));
    expect(d).toMatchObject({ file: path.join(chainDir, 'chain.yaml'), line: 3, col: 14, code: 'fileOutside' });
    expect(d!.message).toContain('is an absolute path; file: references are relative to the chain file\'s folder');
    expect(d!.hint).toContain('--allow-dir');
    expect(await load('/etc/passwd')).toEqual([expect.objectContaining({ code: 'fileOutside', line: 3 })]);
  });

  it('a ../ escape is refused with file:line:col', async () => {
    const [d] = await load('../shared/outside.prompt');
    expect(d).toMatchObject({ line: 3, col: 14, code: 'fileOutside' });
    expect(d!.message).toContain(`resolves to ${path.join(root, 'shared', 'outside.prompt')}, outside the chain's folder`);
    expect(await load('prompts/../../../../../../etc/passwd')).toEqual([expect.objectContaining({ code: 'fileOutside' })]);
  });

  it('a symlink that points out (to /etc/passwd, or to a folder outside) is refused with file:line:col, and nothing is read', async () => {
    fs.symlinkSync('/etc/passwd', path.join(chainDir, 'passwd.prompt'));
    const [d] = await load('passwd.prompt');
    expect(d).toMatchObject({ line: 3, col: 14, code: 'fileOutside' });
    expect(d!.message).toContain('points outside the chain\'s folder, to /etc/passwd');
    expect(JSON.stringify(d)).not.toContain('root:');
    fs.symlinkSync(path.join(root, 'shared'), path.join(chainDir, 'shared-link'));
    expect(await load('shared-link/outside.prompt')).toEqual([expect.objectContaining({ code: 'fileOutside', message: expect.stringContaining('outside.prompt') })]);
  });

  it('an explicitly allowed folder may be referenced, by a relative or absolute path, and through a symlink into it', async () => {
    const shared = path.join(root, 'shared');
    expect(await load('../shared/outside.prompt', [shared])).toEqual([]);
    expect(await load(path.join(shared, 'outside.prompt'), [shared])).toEqual([]);
    fs.symlinkSync(shared, path.join(chainDir, 'shared-link'));
    expect(await load('shared-link/outside.prompt', [shared])).toEqual([]);
    // Allowing one folder allows nothing else.
    expect(await load('/etc/passwd', [shared])).toEqual([expect.objectContaining({ code: 'fileOutside' })]);
  });

  it('a missing file inside the folder is reported missing, where the chain names it', async () => {
    expect(await load('prompts/nope.prompt')).toEqual([expect.objectContaining({ code: 'missingFile', line: 3, message: expect.stringContaining('cannot read the prompt file: ENOENT') })]);
  });
});
