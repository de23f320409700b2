import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TEMPLATE_DIR, createProject, flotillaVersion, main } from './main';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const EXAMPLE = path.join(REPO_ROOT, 'examples/coding-pipeline');
const STARTER_CHAIN = path.join(TEMPLATE_DIR, 'chains/coding-pipeline');

/** A chain file without its leading comment lines (the starter's point its schema at node_modules). */
const body = (file: string) => fs.readFileSync(file, 'utf8').replace(/^(#[^\n]*\n)+/, '');

describe('create-flotilla', () => {
  let tmp: string;
  beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'create-flotilla-'))));
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("ships the example coding pipeline's chain and cassette as they are in examples/", () => {
    expect(body(path.join(STARTER_CHAIN, 'chain.yaml'))).toBe(body(path.join(EXAMPLE, 'chain.yaml')));
    expect(fs.readdirSync(path.join(STARTER_CHAIN, 'cassettes'))).toEqual(['palindrome.json']);
    expect(fs.readFileSync(path.join(STARTER_CHAIN, 'cassettes/palindrome.json'), 'utf8')).toBe(fs.readFileSync(path.join(EXAMPLE, 'cassettes/palindrome.json'), 'utf8'));
  });

  it('writes a project whose Flotilla dependencies are at its own version', () => {
    const project = createProject(path.join(tmp, 'My App'));
    expect(project.name).toBe('my-app');
    expect(project.files).toEqual(expect.arrayContaining(['package.json', '.gitignore', 'tsconfig.json', 'src/main.ts', 'chains/coding-pipeline/chain.yaml', 'chains/coding-pipeline/cassettes/palindrome.json']));
    const pkg = JSON.parse(fs.readFileSync(path.join(project.dir, 'package.json'), 'utf8'));
    const flotilla = { ...pkg.dependencies, ...pkg.devDependencies };
    const ours = Object.entries(flotilla).filter(([n]) => n.startsWith('@flotilla/'));
    expect(ours.map(([n]) => n).sort()).toEqual(['@flotilla/adapter-fixture', '@flotilla/adapter-ollama', '@flotilla/agents', '@flotilla/cli', '@flotilla/core']);
    expect(new Set(ours.map(([, v]) => v))).toEqual(new Set([`^${flotillaVersion()}`]));
    expect(flotillaVersion()).toBe(JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version);
  });

  it('refuses a folder that is not empty, and a missing folder name, without a stack', () => {
    fs.writeFileSync(path.join(tmp, 'keep.txt'), 'mine');
    const err: string[] = [];
    expect(main([tmp], () => undefined, (t) => err.push(t))).toBe(2);
    expect(main([], () => undefined, (t) => err.push(t))).toBe(2);
    expect(err[0]).toBe(`create-flotilla: ${tmp} already exists and is not an empty folder; choose a new folder name\n`);
    expect(err[1]).toMatch(/^create-flotilla: expected one folder name, got none/);
    expect(fs.readdirSync(tmp)).toEqual(['keep.txt']);
  });
});
