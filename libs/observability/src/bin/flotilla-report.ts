// node tools/scripts/run-ts.cjs libs/observability/src/bin/flotilla-report.ts [--json] [--html out.html] <traces...>
import { reportCommand } from '../lib/report.command';

reportCommand(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  },
);
