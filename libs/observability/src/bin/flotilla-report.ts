// node tools/scripts/run-ts.cjs libs/observability/src/bin/flotilla-report.ts [--json] [--html out.html] <traces...>
import { reportCommand } from '../lib/report.command';

reportCommand(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    // Every mistake of the user's is an exit code with a message; anything else is ours.
    process.stderr.write(`flotilla-report: this is a bug in Flotilla, please report it with the command line and this trace:\n${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
