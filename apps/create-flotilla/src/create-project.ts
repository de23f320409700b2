import * as fs from 'node:fs';
import * as path from 'node:path';

/** The files every new project gets, besides its package.json and .gitignore: product data shipped in this package. */
export const TEMPLATE_DIR = path.resolve(__dirname, '../template');

/** Third-party versions the project starts with (Flotilla's own packages take this package's version). */
export const TOOL_VERSIONS = { typescript: '^6.0.3', '@types/node': '^20.19.43' } as const;

/** A refusal the user can act on (printed without a stack). */
export class CreateProjectError extends Error {
  override readonly name = 'CreateProjectError';
}

export interface CreatedProject {
  dir: string;
  name: string;
  files: string[];
}

/** The version of Flotilla this starter belongs to (all Flotilla packages share one version). */
export function flotillaVersion(): string {
  return (JSON.parse(fs.readFileSync(path.resolve(__dirname, '../package.json'), 'utf8')) as { version: string }).version;
}

/** npm's rules for a package name, as far as a new project's folder name goes. */
function packageName(dir: string): string {
  const name = path.basename(path.resolve(dir)).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+/, '');
  if (!name) throw new CreateProjectError(`"${dir}": cannot make a package name of this folder name; choose a name with letters or digits`);
  return name;
}

function packageJson(name: string, version: string): string {
  const range = `^${version}`;
  const pkg = {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: {
      build: 'tsc',
      start: 'tsc && node dist/main.js',
      chain: 'flotilla run chains/coding-pipeline/chain.yaml --input "Write a function that checks whether a string is a palindrome, ignoring case and punctuation, with tests"',
      validate: 'flotilla validate chains/coding-pipeline/chain.yaml',
    },
    engines: { node: '>=20' },
    dependencies: {
      '@flotilla/adapter-fixture': range,
      '@flotilla/adapter-ollama': range,
      '@flotilla/agents': range,
      '@flotilla/core': range,
    },
    devDependencies: { '@flotilla/cli': range, ...TOOL_VERSIONS },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

/** Writes a new project into `dir` (which must not exist or be empty). */
export function createProject(dir: string, version = flotillaVersion()): CreatedProject {
  const target = path.resolve(dir);
  if (fs.existsSync(target) && (!fs.statSync(target).isDirectory() || fs.readdirSync(target).length > 0)) {
    throw new CreateProjectError(`${dir} already exists and is not an empty folder; choose a new folder name`);
  }
  const name = packageName(dir);
  fs.mkdirSync(target, { recursive: true });
  fs.cpSync(TEMPLATE_DIR, target, { recursive: true });
  fs.writeFileSync(path.join(target, 'package.json'), packageJson(name, version));
  // npm pack drops files named .gitignore, so this one is written here rather than shipped.
  fs.writeFileSync(path.join(target, '.gitignore'), 'node_modules/\ndist/\ntraces/\n');
  return { dir: target, name, files: filesUnder(target).map((f) => path.relative(target, f)).sort() };
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}
