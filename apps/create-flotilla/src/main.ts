#!/usr/bin/env node
// `npm create flotilla <folder>` (npx create-flotilla <folder>): a new Flotilla project.
import { CreateProjectError, createProject } from './create-project';

export { createProject, CreateProjectError, TEMPLATE_DIR, flotillaVersion } from './create-project';
export type { CreatedProject } from './create-project';

export const USAGE = `create-flotilla: start a Flotilla project

Usage:
  npm create flotilla <folder>     (or: npx create-flotilla <folder>)

Writes a TypeScript project that runs the manager -> workers -> reviewer coding pipeline,
from code (npm start) and as a chain file (npm run chain), on recorded replies or on Ollama.
`;

/** The command, testable: returns the exit code. */
export function main(argv: string[], out: (text: string) => void, err: (text: string) => void): number {
  const [dir, ...rest] = argv;
  if (dir === '-h' || dir === '--help') {
    out(USAGE);
    return 0;
  }
  if (!dir || dir.startsWith('-') || rest.length > 0) {
    err(`create-flotilla: expected one folder name, got ${argv.length === 0 ? 'none' : argv.map((a) => JSON.stringify(a)).join(' ')}\n\n${USAGE}`);
    return 2;
  }
  try {
    const project = createProject(dir);
    out(`Created ${project.name} in ${project.dir} (${project.files.length} files). Next:\n\n  cd ${dir}\n  npm install\n  npm start\n  npm run chain\n\n`);
    return 0;
  } catch (e) {
    if (e instanceof CreateProjectError) {
      err(`create-flotilla: ${e.message}\n`);
      return 2;
    }
    const code = (e as { code?: string }).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'ENOSPC' || code === 'EROFS') {
      err(`create-flotilla: cannot write ${dir}: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2), (t) => process.stdout.write(t), (t) => process.stderr.write(t));
}
