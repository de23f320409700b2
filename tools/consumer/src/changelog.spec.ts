import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from './lib/scratch';

const { changelog } = require(path.join(REPO_ROOT, 'tools/packaging/changelog.cjs')) as {
  changelog: (o: { version: string; from?: string; previous?: string; cwd?: string; date?: string }) => string;
};

describe('CHANGELOG from commits', () => {
  let repo = '';
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
  const commit = (subject: string, files: Record<string, string>) => {
    for (const [f, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(repo, f)), { recursive: true });
      fs.writeFileSync(path.join(repo, f), text);
    }
    git('add', '-A');
    git('commit', '-q', '-m', subject);
  };

  beforeAll(() => {
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-changelog-'));
    git('init', '-q');
    commit('Packages for core and the command line', { 'libs/core/package.json': '{ "name": "@flotilla/core" }', 'apps/cli/package.json': '{ "name": "@flotilla/cli" }' });
    git('tag', 'v0.1.0');
    commit('engine: retries keep their order', { 'libs/core/src/a.ts': '1' });
    commit('A flag for the engine and the CLI at once', { 'libs/core/src/b.ts': '2', 'apps/cli/src/c.ts': '3' });
    commit('docs: a typo', { 'docs/x.md': 'x' });
  });
  afterAll(() => fs.rmSync(repo, { recursive: true, force: true }));

  it('lists each commit since the tag under every package whose folder it touched, the rest under Repository', () => {
    const text = changelog({ version: '0.2.0', from: 'v0.1.0', cwd: repo, date: '2026-12-02' });
    const section = (title: string) => text.split(`### ${title}\n\n`)[1]?.split('\n\n')[0]?.split('\n').filter(Boolean).map((l) => l.replace(/ \([0-9a-f]{7}\)$/, ''));
    expect(text).toContain('## 0.2.0 (2026-12-02)');
    expect(section('@flotilla/core')).toEqual(['- engine: retries keep their order', '- A flag for the engine and the CLI at once']);
    expect(section('@flotilla/cli')).toEqual(['- A flag for the engine and the CLI at once']);
    expect(section('Repository (docs, tools, CI, examples)')).toEqual(['- docs: a typo']);
    expect(text).not.toContain('Packages for core and the command line');
  });

  it('keeps the earlier releases below the new one', () => {
    const first = changelog({ version: '0.1.0', cwd: repo, date: '2026-12-01' });
    const second = changelog({ version: '0.2.0', from: 'v0.1.0', previous: first, cwd: repo, date: '2026-12-02' });
    expect(second.indexOf('## 0.2.0')).toBeLessThan(second.indexOf('## 0.1.0'));
    expect(second.match(/^# Changelog/gm)).toHaveLength(1);
    expect(second).toContain('- Packages for core and the command line');
  });
});
