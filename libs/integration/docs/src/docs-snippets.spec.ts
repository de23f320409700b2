import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';
import { OllamaSimServer } from '@flotilla/testing';
import { DEFAULT_MANAGER_MODEL, DEFAULT_REVIEWER_MODEL, DEFAULT_WORKER_MODEL } from '@flotilla/agents';
import { REPO_ROOT, type Snippet, allSnippets, modelsIn, snippetFileName } from './snippets';

// Documentation is code: every ```ts block of the README, docs/ and the libraries' READMEs
// compiles against the public packages and runs as written, against an Ollama simulator this
// test starts (snippets read OLLAMA_HOST, with the documented default).

const snippets = allSnippets();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-snippets-'));
const file = (s: Snippet) => path.join(dir, snippetFileName(s));
for (const s of snippets) fs.writeFileSync(file(s), s.code);

function compilerOptions(): ts.CompilerOptions {
  const config = ts.readConfigFile(path.join(REPO_ROOT, 'tsconfig.base.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, REPO_ROOT);
  return { ...parsed.options, noEmit: true, rootDir: undefined, types: ['node'], noUnusedLocals: false };
}

describe('documentation snippets', () => {
  let sim: OllamaSimServer;
  beforeAll(async () => {
    sim = new OllamaSimServer({ models: [...new Set([...modelsIn(snippets), DEFAULT_MANAGER_MODEL, DEFAULT_WORKER_MODEL, DEFAULT_REVIEWER_MODEL])], timeScale: 0 });
    await sim.start();
  });
  afterAll(async () => {
    await sim?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('finds the documented snippets', () => {
    expect(snippets.length).toBeGreaterThanOrEqual(5);
    expect(snippets.some((s) => s.doc === 'README.md')).toBe(true);
  });

  it('every snippet type-checks against the public packages', () => {
    const program = ts.createProgram(snippets.map(file), compilerOptions());
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file && d.file.fileName.startsWith(dir))
      .map((d) => {
        const s = snippets.find((x) => file(x) === d.file!.fileName)!;
        const { line, character } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
        return `${s.doc}:${s.line + line}:${character + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
    expect(problems).toEqual([]);
  }, 120_000);

  it.each(snippets.map((s) => [`${s.doc}:${s.line}`, s] as const))('%s runs as written', async (_where, s) => {
    const cwd = fs.mkdtempSync(path.join(dir, 'run-'));
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, [path.join(REPO_ROOT, 'tools/scripts/run-ts.cjs'), file(s)], { cwd, env: { ...process.env, OLLAMA_HOST: sim.url }, timeout: 60_000 }, (error, out, err) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: out, stderr: err }),
      );
      child.stdin?.end();
    });
    // On failure the diff shows the snippet's last output lines.
    expect({ code, output: code === 0 ? '' : `${stdout}\n${stderr}`.trim().split('\n').slice(-8).join('\n') }).toEqual({ code: 0, output: '' });
  }, 90_000);
});
