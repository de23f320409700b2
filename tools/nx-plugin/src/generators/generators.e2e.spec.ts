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
    return JSON.parse(fs.readFileSync(report, 'utf8')) as { numPassedTests: number; numFailedTests: number };
  };

  it('agent: the generated agent and its spec pass their tests, typecheck and lint', () => {
    expect(nx(['g', '@flotilla/nx-plugin:agent', 'release-notes', '--project', 'agents', '--structured', '--no-interactive'])).toContain(
      'CREATE libs/agents/src/lib/release-notes.agent.ts',
    );
    expect(jestReport(['-c', 'libs/agents/jest.config.cjs', 'libs/agents/src/lib/release-notes'])).toMatchObject({ numPassedTests: 3, numFailedTests: 0 });
    tsc('libs/agents/tsconfig.json');
    expect(nx(['run', 'agents:lint', '--output-style=static', '--skip-nx-cache'])).toContain('Successfully ran target lint');
    expect(fs.readFileSync(path.join(copy, 'libs/agents/src/index.ts'), 'utf8')).toContain('ReleaseNotesAgent');
  });

  it('adapter: the generated library passes the shared contract suite, typechecks and lints', () => {
    expect(nx(['g', '@flotilla/nx-plugin:adapter', 'tgi', '--no-interactive'])).toContain('CREATE libs/adapters/tgi/src/tgi.contract.spec.ts');
    const results = jestReport(['-c', 'libs/adapters/tgi/jest.config.cjs']);
    expect(results.numFailedTests).toBe(0);
    expect(results.numPassedTests).toBeGreaterThanOrEqual(15);
    tsc('libs/adapters/tgi/tsconfig.json');
    expect(nx(['run', 'adapter-tgi:lint', '--output-style=static', '--skip-nx-cache'])).toContain('Successfully ran target lint');
  });
});
