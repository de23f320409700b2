import 'reflect-metadata';
import { FlotillaError } from '@flotilla/core';
import { diagnosticsOf } from '@flotilla/chain';
import type { CliIo } from './lib/cli-io';
import { EXIT } from './lib/exit-codes';
import { RUN_USAGE, runCommand } from './lib/run.command';
import { VALIDATE_USAGE, validateCommand } from './lib/validate.command';
import { MODELS_USAGE, modelsCommand } from './lib/models.command';
import { REPORT_USAGE, reportCommand } from '@flotilla/observability';

export type { CliIo } from './lib/cli-io';
export { EXIT } from './lib/exit-codes';

export const USAGE = `flotilla: run chains of agents on a fleet of small local models

Usage:
  flotilla run <chain.yaml> [--input ...] [--backend ...]    run a chain
  flotilla validate <chain.yaml>...                          check chains without running them
  flotilla models [--backend ...] [--config ...]             endpoints, available and loaded models
  flotilla report <traces...> [--html out.html]             compare A/B variants, render a run report

${RUN_USAGE}
${VALIDATE_USAGE}
${MODELS_USAGE}
${REPORT_USAGE.replace('flotilla-report', 'flotilla report')}`;

/** The command line, testable: returns the exit code (see EXIT). */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await runCommand(rest, io);
      case 'validate':
        return await validateCommand(rest, io);
      case 'models':
        return await modelsCommand(rest, io);
      case 'report':
        return await reportCommand(rest, { stdout: (t) => io.stdout.write(t), stderr: (t) => io.stderr.write(t) });
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.stdout.write(USAGE);
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        io.stderr.write(`flotilla: unknown command "${command}"; expected run, validate, models or report\n`);
        return EXIT.usage;
    }
  } catch (e) {
    if (diagnosticsOf(e).length > 0 || FlotillaError.is(e, 'config')) {
      io.stderr.write(`${(e as Error).message}\n`);
      return EXIT.usage;
    }
    if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(`flotilla ${command}: ${(e as Error).message}. See flotilla ${command} --help.\n`);
      return EXIT.usage;
    }
    if (FlotillaError.is(e)) {
      io.stderr.write(`flotilla ${command}: ${e.kind}: ${e.message}\n`);
      return e.kind === 'aborted' ? EXIT.cancelled : ['unavailable', 'modelNotFound', 'circuitOpen'].includes(e.kind) ? EXIT.unavailable : EXIT.failed;
    }
    throw e;
  }
}

if (require.main === module || process.argv[1] === __filename) {
  const controller = new AbortController();
  // First Ctrl-C cancels the run (in-flight requests included) and lets it report; a second one exits at once.
  process.once('SIGINT', () => {
    process.stderr.write('\ncancelling (Ctrl-C again to quit at once)\n');
    controller.abort(new Error('interrupted (Ctrl-C)'));
    process.once('SIGINT', () => process.exit(EXIT.cancelled));
  });
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, signal: controller.signal }).then(
    (code) => {
      process.exitCode = code;
      // Leave once stdout has drained; a lingering handle (a keep-alive socket) must not hold the process.
      process.stdout.write('', () => setImmediate(() => process.exit(code)));
    },
    (e) => {
      process.stderr.write(`flotilla: ${(e as Error).stack ?? e}\n`);
      process.exit(EXIT.failed);
    },
  );
}
