import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OllamaSimServer } from '@flotilla/testing';
import { DEFAULT_MANAGER_MODEL, DEFAULT_REVIEWER_MODEL, DEFAULT_WORKER_MODEL } from '@flotilla/agents';
import {
  type PackedPackage,
  REPO_ROOT,
  installedPackages,
  isNative,
  outcome,
  pack,
  run,
  scratchProject,
  withLocalDependencies,
} from './lib/scratch';

// Flotilla as a user gets it: every package built (nx run-many -t build) and packed, then
// installed from those tarballs into scratch projects in the OS temp folder, outside the
// repository (own package.json, no tsconfig paths, no NODE_PATH, the registry only for
// third-party packages), and compiled with plain tsc / run with node, npx and npm there.

const { PACKAGE_ROOTS } = require(path.join(REPO_ROOT, 'tools/packaging/packages.cjs')) as { PACKAGE_ROOTS: string[] };
const { checkPackage } = require(path.join(REPO_ROOT, 'tools/packaging/check-packages.cjs')) as { checkPackage: (dir: string, root: string) => string[] };
const ROOT_PACKAGE = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
const TSC = path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
const NX = path.join(REPO_ROOT, 'node_modules/nx', (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'node_modules/nx/package.json'), 'utf8')) as { bin: { nx: string } }).bin.nx);
const README_EXAMPLES = path.join(REPO_ROOT, 'examples/readme');
const EXAMPLE_CHAINS = ['coding-pipeline', 'classify-tickets', 'summarise-critique-rewrite', 'dependency-audit'];
/** The tool module of examples/dependency-audit, given as a user gives it. */
const AUDIT_TOOLS = 'examples/dependency-audit/tools.mjs';
const PALINDROME = 'Write a function that checks whether a string is a palindrome, ignoring case and punctuation, with tests';

/** What a lean install of the engine and the Ollama adapter must not pull in. */
const HEAVY = [/^node-llama-cpp$/, /^@node-llama-cpp\//, /^@opentelemetry\//, /^better-sqlite3$/, /^@modelcontextprotocol\//, /playwright/, /puppeteer/, /chromium/, /^openai$/];

describe('Flotilla installed from its packages, outside the repository', () => {
  let work = '';
  let packed: PackedPackage[] = [];
  let sim: OllamaSimServer;
  const tarballsOf = (...names: string[]) => withLocalDependencies(names, packed).map((p) => p.tarball);

  beforeAll(async () => {
    // CI builds once before the tests (FLOTILLA_PACKAGES_BUILT=1); otherwise build here (Nx's cache makes it quick).
    if (process.env['FLOTILLA_PACKAGES_BUILT'] !== '1') {
      const built = await run(process.execPath, [NX, 'run-many', '-t', 'build', '--output-style=static'], REPO_ROOT, {
        env: { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
        timeoutMs: 400_000,
      });
      if (built.code !== 0) throw new Error(`nx run-many -t build failed:\n${built.stdout.slice(-3000)}\n${built.stderr.slice(-2000)}`);
    }
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-consumer-'));
    const tarballs = path.join(work, 'tarballs');
    fs.mkdirSync(tarballs);
    packed = await Promise.all(PACKAGE_ROOTS.map((root) => pack(root, tarballs)));
    sim = new OllamaSimServer({ models: ['llama3.2:3b', 'qwen2.5-coder:7b-q4_0', DEFAULT_MANAGER_MODEL, DEFAULT_WORKER_MODEL, DEFAULT_REVIEWER_MODEL], timeScale: 0 });
    await sim.start();
  }, 600_000);

  afterAll(async () => {
    await sim?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('packs every package, and each package.json names exactly the packages its built code imports', () => {
    expect(packed.map((p) => p.root)).toEqual(PACKAGE_ROOTS);
    expect(PACKAGE_ROOTS.flatMap((root) => checkPackage(path.join(REPO_ROOT, 'dist', root), root))).toEqual([]);
  });

  it('each tarball holds what its exports, types and bin name, and nothing from tests or fixtures', () => {
    const problems: string[] = [];
    for (const p of packed) {
      const named = new Set<string>([p.pkg.main, p.pkg.types, ...Object.values(p.pkg.bin ?? {})].filter((f): f is string => !!f));
      for (const target of Object.values(p.pkg.exports ?? {})) for (const f of typeof target === 'string' ? [target] : Object.values(target)) named.add(f);
      for (const f of named) if (!p.files.includes(path.normalize(f))) problems.push(`${p.name}: ${f} is named by package.json but not in the tarball`);
      for (const f of ['package.json', 'README.md', 'LICENSE']) if (!p.files.includes(f)) problems.push(`${p.name}: no ${f}`);
      for (const f of p.files) {
        if (/(^|\/)(spec|__tests__|__fixtures__|fixtures|testdata)\/|\.spec\.|\.test\.|\.map$|tsconfig\.lib\.json|jest\.config|project\.json/.test(f)) problems.push(`${p.name}: ${f} is test or build material`);
        // Sources ship as .js + .d.ts only; the starter's template is product data (a user's project).
        if (f.endsWith('.ts') && !f.endsWith('.d.ts') && !(p.name === 'create-flotilla' && f.startsWith('template/'))) problems.push(`${p.name}: ${f} is TypeScript source`);
      }
    }
    expect(problems).toEqual([]);
    // The product data a shipped command or module needs: the chain file schema, the starter's chain and its cassette.
    expect(packed.find((p) => p.name === '@flotilla/chain')!.files).toContain('schema/chain.schema.json');
    expect(packed.find((p) => p.name === 'create-flotilla')!.files).toEqual(expect.arrayContaining(['template/chains/coding-pipeline/chain.yaml', 'template/chains/coding-pipeline/cassettes/palindrome.json']));
  });

  it('publint and @arethetypeswrong/cli find no problem in any tarball', async () => {
    const r = await run(process.execPath, [path.join(REPO_ROOT, 'tools/packaging/lint-tarballs.mjs'), ...packed.map((p) => p.tarball)], REPO_ROOT, { timeoutMs: 180_000 });
    const reports = r.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { tarball: string; publint: { type: string; message: string }[]; attw: { kind: string; entrypoint: string; resolutionKind: string }[] });
    expect(reports).toHaveLength(packed.length);
    const problems = reports.flatMap((x) => [
      ...x.publint.filter((m) => m.type !== 'suggestion').map((m) => `${path.basename(x.tarball)}: publint ${m.type}: ${m.message}`),
      ...x.attw.map((a) => `${path.basename(x.tarball)}: attw ${a.kind} (${a.entrypoint}, ${a.resolutionKind})`),
    ]);
    expect(problems).toEqual([]);
    expect(outcome(r)).toEqual({ code: 0, output: '' });
  }, 200_000);

  it("compiles the README's examples with plain tsc and runs them with node, as a CommonJS and as an ES module project", async () => {
    const app = path.join(work, 'readme-app');
    const thirdParty = ['zod', 'inversify'].map((n) => `${n}@${ROOT_PACKAGE.dependencies[n]}`);
    const installed = await scratchProject(app, { name: 'readme-app', type: 'commonjs' }, tarballsOf('@flotilla/core', '@flotilla/adapter-ollama', '@flotilla/agents'), [
      ...thirdParty,
      `@types/node@${ROOT_PACKAGE.devDependencies['@types/node']}`,
    ]);
    expect(outcome(installed)).toEqual({ code: 0, output: '' });
    const examples = fs.readdirSync(README_EXAMPLES).filter((f) => f.endsWith('.ts'));
    expect(examples.length).toBeGreaterThanOrEqual(4);

    const flavours = {
      // A CommonJS project (TypeScript 6 resolves as Node does; attw checks the older node10 resolution)...
      cjs: { packageJson: { type: 'commonjs' }, compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' } },
      // ...and an ES module project (Node's own resolution, named imports of CommonJS packages).
      esm: { packageJson: { type: 'module' }, compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' } },
    };
    for (const [flavour, { packageJson, compilerOptions }] of Object.entries(flavours)) {
      const dir = path.join(app, flavour);
      fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(packageJson));
      for (const f of examples) fs.copyFileSync(path.join(README_EXAMPLES, f), path.join(dir, 'src', f));
      const tsconfig = {
        compilerOptions: { target: 'ES2022', strict: true, experimentalDecorators: true, emitDecoratorMetadata: true, types: ['node'], rootDir: 'src', outDir: 'dist', ...compilerOptions },
        include: ['src'],
      };
      fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
      const compiled = await run(process.execPath, [TSC, '-p', 'tsconfig.json'], dir);
      expect({ flavour, ...outcome(compiled) }).toEqual({ flavour, code: 0, output: '' });
      for (const f of examples) {
        const before = sim.requests.length;
        const ran = await run(process.execPath, [path.join('dist', f.replace(/\.ts$/, '.js'))], dir, { env: { OLLAMA_HOST: sim.url }, timeoutMs: 60_000 });
        expect({ flavour, example: f, ...outcome(ran) }).toEqual({ flavour, example: f, code: 0, output: '' });
        expect({ flavour, example: f, calls: sim.requests.length > before }).toEqual({ flavour, example: f, calls: true });
        expect(ran.stdout.trim()).not.toBe('');
      }
    }
  }, 400_000);

  it('installs the engine and the Ollama adapter alone without node-llama-cpp, OpenTelemetry, databases, MCP, browsers or native packages, and runs the first README example on them', async () => {
    const lean = path.join(work, 'lean');
    const installed = await scratchProject(lean, { name: 'lean', type: 'commonjs' }, tarballsOf('@flotilla/core', '@flotilla/adapter-ollama'), [`@types/node@${ROOT_PACKAGE.devDependencies['@types/node']}`]);
    expect(outcome(installed)).toEqual({ code: 0, output: '' });
    const packages = installedPackages(path.join(lean, 'node_modules'));
    expect(packages.map((p) => p.name)).toEqual(expect.arrayContaining(['@flotilla/core', '@flotilla/adapter-ollama', '@flotilla/http', 'ollama']));
    expect(packages.filter((p) => HEAVY.some((re) => re.test(p.name))).map((p) => p.name)).toEqual([]);
    expect(packages.filter((p) => isNative(p.dir)).map((p) => p.name)).toEqual([]);
    expect(packages.filter((p) => p.name.startsWith('@flotilla/')).map((p) => p.name).sort()).toEqual(['@flotilla/adapter-ollama', '@flotilla/core', '@flotilla/http']);

    fs.mkdirSync(path.join(lean, 'src'));
    fs.copyFileSync(path.join(README_EXAMPLES, 'haiku.ts'), path.join(lean, 'src/haiku.ts'));
    fs.writeFileSync(path.join(lean, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, types: ['node'], rootDir: 'src', outDir: 'dist' } }));
    expect(outcome(await run(process.execPath, [TSC, '-p', 'tsconfig.json'], lean))).toEqual({ code: 0, output: '' });
    const ran = await run(process.execPath, ['dist/haiku.js'], lean, { env: { OLLAMA_HOST: sim.url } });
    expect(outcome(ran)).toEqual({ code: 0, output: '' });
    expect(ran.stdout).toMatch(/succeeded in \d+ ms/);
  }, 300_000);

  describe('a project made by npm create flotilla, with the command line', () => {
    let project = '';

    it('create-flotilla writes the project; it installs from the tarballs and npm start runs the coding pipeline on its cassette and on Ollama', async () => {
      const starter = path.join(work, 'starter');
      const installed = await scratchProject(starter, { name: 'starter' }, tarballsOf('create-flotilla'));
      expect(outcome(installed)).toEqual({ code: 0, output: '' });
      const created = await run('npx', ['--no', 'create-flotilla', 'my-app'], starter);
      expect(outcome(created)).toEqual({ code: 0, output: '' });
      project = path.join(starter, 'my-app');
      const pkg = JSON.parse(fs.readFileSync(path.join(project, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
      // The user's `npm install`, with Flotilla's packages from the local tarballs instead of the registry.
      const flotilla = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)].filter((n) => n.startsWith('@flotilla/'));
      const tools = Object.entries(pkg.devDependencies).filter(([n]) => !n.startsWith('@flotilla/'));
      const install = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...tarballsOf(...flotilla), ...tools.map(([n, v]) => `${n}@${v}`)], project, { timeoutMs: 300_000 });
      expect(outcome(install)).toEqual({ code: 0, output: '' });

      const onCassette = await run('npm', ['start', '--silent'], project, { timeoutMs: 120_000 });
      expect(outcome(onCassette)).toEqual({ code: 0, output: '' });
      expect(onCassette.stdout).toContain('succeeded: 3 step(s), approved: true');
      const before = sim.requests.length;
      const onOllama = await run('npm', ['start', '--silent'], project, { env: { FLOTILLA_BACKEND: 'ollama', OLLAMA_HOST: sim.url }, timeoutMs: 120_000 });
      expect(outcome(onOllama)).toEqual({ code: 0, output: '' });
      expect(onOllama.stdout).toMatch(/^succeeded: \d+ step\(s\)/);
      expect(sim.requests.length).toBeGreaterThan(before);
    }, 500_000);

    it('npx flotilla validate and run the example chains copied with their cassettes (one with a --tools module); a run on cassettes loads neither node-llama-cpp, another adapter nor the MCP SDK', async () => {
      expect(project).not.toBe('');
      for (const name of EXAMPLE_CHAINS) {
        const from = path.join(REPO_ROOT, 'examples', name);
        const to = path.join(project, 'examples', name);
        fs.mkdirSync(path.join(to, 'cassettes'), { recursive: true });
        for (const f of fs.readdirSync(from)) if (fs.statSync(path.join(from, f)).isFile()) fs.copyFileSync(path.join(from, f), path.join(to, f));
        for (const f of fs.readdirSync(path.join(from, 'cassettes'))) if (f.endsWith('.json')) fs.copyFileSync(path.join(from, 'cassettes', f), path.join(to, 'cassettes', f));
      }
      const validated = await run('npx', ['--no', 'flotilla', 'validate', ...EXAMPLE_CHAINS.map((n) => `examples/${n}/chain.yaml`), '--tools', AUDIT_TOOLS], project);
      expect(outcome(validated)).toEqual({ code: 0, output: '' });

      // Every CommonJS module each process loaded, written when it exits.
      const loads = path.join(work, 'loads');
      fs.mkdirSync(loads);
      const hook = path.join(work, 'record-loads.cjs');
      fs.writeFileSync(hook, `process.on('exit', () => require('node:fs').writeFileSync(require('node:path').join(${JSON.stringify(loads)}, String(process.pid)), Object.keys(require.cache).join('\\n')));\n`);
      const ran = await run('npx', ['--no', 'flotilla', 'run', 'examples/coding-pipeline/chain.yaml', '--input', PALINDROME], project, { env: { NODE_OPTIONS: `--require ${hook}` } });
      expect(outcome(ran)).toEqual({ code: 0, output: '' });
      expect(ran.stdout).toContain('isPalindrome');
      const tickets = await run('npx', ['--no', 'flotilla', 'run', 'examples/classify-tickets/chain.yaml', '--input-file', 'examples/classify-tickets/input.yaml'], project);
      expect(outcome(tickets)).toEqual({ code: 0, output: '' });
      const audit = await run('npx', ['--no', 'flotilla', 'run', 'examples/dependency-audit/chain.yaml', '--tools', AUDIT_TOOLS, '--input-file', 'examples/dependency-audit/input.yaml', '--format', 'jsonl'], project, { env: { NODE_OPTIONS: `--require ${hook}` } });
      expect(outcome(audit)).toEqual({ code: 0, output: '' });
      const events = audit.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; tool?: string; ok?: boolean });
      expect(events.filter((e) => e.type === 'tool.result').map((e) => [e.tool, e.ok])).toEqual([
        ['package_info', true],
        ['package_info', true],
        ['package_info', true],
      ]);

      const loaded = fs.readdirSync(loads).flatMap((f) => fs.readFileSync(path.join(loads, f), 'utf8').split('\n'));
      expect(loaded.filter((m) => m.includes('/node_modules/@flotilla/cli/')).length).toBeGreaterThan(0);
      expect(loaded.filter((m) => m.includes('/node_modules/@flotilla/adapter-fixture/')).length).toBeGreaterThan(0);
      expect(loaded.filter((m) => /\/node_modules\/(node-llama-cpp|@flotilla\/adapter-(llama-cpp|ollama|openai)|openai|ollama|@modelcontextprotocol)\//.test(m))).toEqual([]);
    }, 300_000);

    it('the embedded engine without node-llama-cpp, or tracing without the OpenTelemetry SDK, is a config error naming the package and its install line, not a stack trace', async () => {
      expect(project).not.toBe('');
      const gguf = path.join(work, 'model.gguf');
      fs.writeFileSync(gguf, 'not a model');
      const ran = await run('npx', ['--no', 'flotilla', 'run', 'examples/coding-pipeline/chain.yaml', '--input', PALINDROME, '--backend', 'llama-cpp', '--gguf', `${DEFAULT_MANAGER_MODEL}=${gguf}`], project);
      // The run fails at its first model call (exit 2, a config error); the message is in its events and on stderr.
      expect(ran.code).toBe(2);
      expect(`${ran.stdout}${ran.stderr}`).toContain('needs node-llama-cpp, an optional peer dependency that is not installed; install it with: npm install node-llama-cpp');
      expect(`${ran.stdout}${ran.stderr}`).not.toMatch(/^\s+at /m);

      // The fleet file's MCP servers likewise: @flotilla/mcp (and the MCP SDK) is an optional peer of the CLI.
      fs.writeFileSync(path.join(project, 'mcp-fleet.yaml'), 'endpoints:\n  - { name: f, kind: fixture, cassettes: [examples/dependency-audit/cassettes/three-dependencies.json] }\nmcp:\n  files: { command: node, args: [server.mjs] }\n');
      fs.writeFileSync(path.join(project, 'mcp-chain.yaml'), 'version: 2\nname: read\nagents:\n  reader: { model: "m:1b", tools: [files_read_file], prompt: "Read {{this}}" }\nsteps:\n  - call: reader\n');
      const mcp = await run('npx', ['--no', 'flotilla', 'validate', 'mcp-chain.yaml', '--config', 'mcp-fleet.yaml'], project);
      expect(mcp.code).toBe(2);
      expect(mcp.stderr).toContain('mcp: servers need @flotilla/mcp, an optional peer dependency that is not installed; install it with: npm install @flotilla/mcp');
      expect(mcp.stderr).not.toMatch(/^\s+at /m);

      // The OpenTelemetry SDK likewise (observability itself loads without it: the CLI above used it).
      const otel = await run(process.execPath, ['-e', "try { require('@flotilla/observability').createOtlpTracerProvider() } catch (e) { console.log(e.kind + ': ' + e.message) }"], project);
      expect(otel.stdout.trim()).toBe(
        'config: createOtlpTracerProvider (@flotilla/observability) needs @opentelemetry/sdk-trace-base, an optional peer dependency that is not installed; install it with: npm install @opentelemetry/exporter-trace-otlp-http @opentelemetry/resources @opentelemetry/sdk-trace-base',
      );
    }, 120_000);
  });
});
