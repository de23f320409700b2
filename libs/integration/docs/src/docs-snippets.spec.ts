import { execFile } from 'node:child_process';
import * as http from 'node:http';
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { OllamaSimServer, writeSyntheticGguf } from '@flotilla/testing';
import { DEFAULT_MANAGER_MODEL, DEFAULT_REVIEWER_MODEL, DEFAULT_WORKER_MODEL } from '@flotilla/agents';
import { REPO_ROOT, type Snippet, allSnippets, modelsIn, snippetFileName } from './snippets';

// Documentation is code: every ```ts block of the README, docs/ and the libraries' READMEs
// compiles against the public packages and runs as written, against an Ollama simulator this
// test starts (snippets read OLLAMA_HOST, with the documented default).

const snippets = allSnippets();
// Inside the repository (tmp/ is git-ignored), so that snippets resolve third-party packages
// (zod, inversify) from its node_modules as they would from a user's project.
fs.mkdirSync(path.join(REPO_ROOT, 'tmp'), { recursive: true });
const dir = fs.mkdtempSync(path.join(REPO_ROOT, 'tmp', 'snippets-'));
const file = (s: Snippet) => path.join(dir, snippetFileName(s));
for (const s of snippets) fs.writeFileSync(file(s), s.code);

function compilerOptions(): ts.CompilerOptions {
  const config = ts.readConfigFile(path.join(REPO_ROOT, 'tsconfig.base.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, REPO_ROOT);
  return { ...parsed.options, noEmit: true, rootDir: undefined, types: ['node'], noUnusedLocals: false };
}

describe('documentation snippets', () => {
  let sim: OllamaSimServer;
  /** An OTLP collector stand-in (accepts every export): snippets that trace export to it. */
  let collector: http.Server;
  let collectorUrl = '';
  /** A small synthetic GGUF model for snippets that run the embedded engine (FLOTILLA_GGUF). */
  const gguf = path.join(dir, 'synthetic.gguf');
  beforeAll(async () => {
    // A bias on '"' ends JSON strings early and stopBias ends replies early: random weights stay brief.
    await writeSyntheticGguf(gguf, { seed: 31, stopBias: 2, contextLength: 8192, biases: { '"': 3 } });
    sim = new OllamaSimServer({ models: [...new Set([...modelsIn(snippets), DEFAULT_MANAGER_MODEL, DEFAULT_WORKER_MODEL, DEFAULT_REVIEWER_MODEL])], timeScale: 0 });
    await sim.start();
    collector = http.createServer((req, res) => req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}')));
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    collectorUrl = `http://127.0.0.1:${(collector.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await sim?.close();
    await new Promise((resolve) => collector?.close(resolve));
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
    // From the repository's root, as a reader of these docs runs them.
    const cwd = REPO_ROOT;
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(process.execPath, [path.join(REPO_ROOT, 'tools/scripts/run-ts.cjs'), file(s)], { cwd, env: { ...process.env, OLLAMA_HOST: sim.url, FLOTILLA_GGUF: gguf, OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl }, timeout: 60_000 }, (error, out, err) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: out, stderr: err }),
      );
      child.stdin?.end();
    });
    // On failure the diff shows the snippet's last output lines.
    expect({ code, output: code === 0 ? '' : `${stdout}\n${stderr}`.trim().split('\n').slice(-8).join('\n') }).toEqual({ code: 0, output: '' });
  }, 90_000);
});
