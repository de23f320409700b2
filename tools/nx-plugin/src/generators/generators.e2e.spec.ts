import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * End to end: generate into a temporary copy of this workspace with the real Nx CLI,
 * then the generated projects' own tests, a typecheck and lint must pass there.
 */
const root = path.resolve(__dirname, '../../../..');
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' };
const nodeBin = (pkg: string, bin: string) => path.join(root, 'node_modules', pkg, bin);

function run(cwd: string, file: string, args: string[]): string {
  try {
    return execFileSync(process.execPath, [file, ...args], { cwd, env, encoding: 'utf8', stdio: 'pipe', timeout: 180_000 });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${path.basename(file)} ${args.join(' ')} failed:\n${err.stdout ?? ''}\n${err.stderr ?? ''}\n${err.message}`);
  }
}

describe('generators, end to end in a copy of the workspace', () => {
  let copy: string;

  beforeAll(() => {
    copy = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-ws-'));
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: root, encoding: 'utf8' })
      .split('\0')
      .filter((f) => f && fs.existsSync(path.join(root, f)));
    for (const f of files) {
      fs.mkdirSync(path.join(copy, path.dirname(f)), { recursive: true });
      fs.copyFileSync(path.join(root, f), path.join(copy, f));
    }
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  });

  afterAll(() => {
    if (copy) fs.rmSync(copy, { recursive: true, force: true });
  });

  const nx = (args: string[]) => run(copy, nodeBin('nx', 'dist/bin/nx.js'), args);
  const tsc = (project: string) => run(copy, nodeBin('typescript', 'bin/tsc'), ['-p', project, '--noEmit']);
  /** Runs jest in the copy (it throws on a failing run) and returns its JSON report. */
  const jestReport = (args: string[]) => {
    const report = path.join(copy, `jest-report-${Date.now()}.json`);
    run(copy, nodeBin('jest', 'bin/jest.js'), [...args, '--ci', '--json', `--outputFile=${report}`]);
    return JSON.parse(fs.readFileSync(report, 'utf8')) as {
      numPassedTests: number;
      numFailedTests: number;
      testResults: { assertionResults: { title: string; status: string }[] }[];
    };
  };

  it('agent: the generated agent and its spec pass their tests, typecheck and lint', () => {
    expect(nx(['g', '@flotilla/nx-plugin:agent', 'release-notes', '--project', 'agents', '--structured', '--no-interactive'])).toContain(
      'CREATE libs/agents/src/lib/release-notes.agent.ts',
    );
    expect(jestReport(['-c', 'libs/agents/jest.config.cjs', 'libs/agents/src/lib/release-notes'])).toMatchObject({ numPassedTests: 3, numFailedTests: 0 });
    tsc('libs/agents/tsconfig.json');
    expect(nx(['run', 'agents:lint', '--output-style=static', '--skip-nx-cache'])).toContain('Successfully ran target lint');
    expect(fs.readFileSync(path.join(copy, 'libs/agents/src/index.ts'), 'utf8')).toContain('releaseNotesAgent');
  });

  it('adapter: the generated library passes the shared contract suite, typechecks and lints', () => {
    expect(nx(['g', '@flotilla/nx-plugin:adapter', 'tgi', '--no-interactive'])).toContain('CREATE libs/adapters/tgi/src/tgi.contract.spec.ts');
    const results = jestReport(['-c', 'libs/adapters/tgi/jest.config.cjs']);
    expect(results.numFailedTests).toBe(0);
    expect(results.numPassedTests).toBeGreaterThanOrEqual(15);
    tsc('libs/adapters/tgi/tsconfig.json');
    expect(nx(['run', 'adapter-tgi:lint', '--output-style=static', '--skip-nx-cache'])).toContain('Successfully ran target lint');
    // A package like the others: it builds (after core and http), and its package.json names exactly what the built code imports.
    expect(nx(['run', 'adapter-tgi:build', '--output-style=static'])).toContain('Successfully ran target build');
    const problems = run(copy, '-e', [
      "const { checkPackage } = require('./tools/packaging/check-packages.cjs'); console.log(JSON.stringify(checkPackage(require('node:path').resolve('dist/libs/adapters/tgi'), 'libs/adapters/tgi')))",
    ]);
    expect(JSON.parse(problems)).toEqual([]);
    expect(fs.readFileSync(path.join(copy, 'tools/packaging/packages.cjs'), 'utf8')).toContain("'libs/adapters/tgi',");
  });

  it('chain: the generated example runs through `flotilla run` on its cassette, and the examples spec covers it', () => {
    const out = nx(['g', '@flotilla/nx-plugin:chain', 'faq-bot', '--no-interactive']);
    for (const file of ['chain.yaml', 'input.yaml', 'cassettes/src/faq-bot.yaml', 'cassettes/faq-bot.json']) expect(out).toContain(`CREATE examples/faq-bot/${file}`);
    const result = run(copy, 'tools/scripts/run-ts.cjs', ['apps/cli/src/main.ts', 'run', 'examples/faq-bot/chain.yaml', '--input-file', 'examples/faq-bot/input.yaml']);
    expect(JSON.parse(result.trim().split('\n').at(-1)!).result).toMatchObject({ status: 'succeeded', output: { grounded: true, sources: [2] } });
    const examples = jestReport(['-c', 'apps/cli/jest.config.cjs', 'apps/cli/src/examples.spec.ts']);
    expect(examples.numFailedTests).toBe(0);
    const titles = examples.testResults.flatMap((r) => r.assertionResults.map((a) => `${a.status} ${a.title}`));
    expect(titles).toEqual(expect.arrayContaining(['passed faq-bot validates without warnings', 'passed faq-bot/cassettes/faq-bot.json is in step with its replies and the current chain']));
  });

  it('chain elsewhere: the chain folder is a test project whose spec passes, typechecks and lints', () => {
    expect(nx(['g', '@flotilla/nx-plugin:chain', 'triage', '--directory', 'chains', '--no-interactive'])).toContain('CREATE chains/triage/triage.chain.spec.ts');
    expect(jestReport(['-c', 'chains/triage/jest.config.cjs'])).toMatchObject({ numPassedTests: 4, numFailedTests: 0 });
    tsc('chains/triage/tsconfig.json');
    expect(nx(['run', 'chain-triage:test', '--output-style=static', '--skip-nx-cache'])).toContain('Successfully ran target test');
    expect(nx(['run', 'chain-triage:lint', '--output-style=static', '--skip-nx-cache'])).toContain('Successfully ran target lint');
  });
});
