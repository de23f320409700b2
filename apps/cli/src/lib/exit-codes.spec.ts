import * as fs from 'node:fs';
import * as path from 'node:path';
import { ERROR_KINDS } from '@flotilla/core';
import { EXIT, EXIT_CODE_OF_KIND } from './exit-codes';
import { RUN_USAGE } from './run.command';

const ERRORS_MD = path.resolve(__dirname, '../../../../docs/errors.md');

describe('exit codes', () => {
  it('every error kind has one, and docs/errors.md says the same for each', () => {
    const table = new Map<string, string>();
    for (const line of fs.readFileSync(ERRORS_MD, 'utf8').split('\n')) {
      const cells = line.split('|').map((c) => c.trim());
      const kind = /^`(\w+)`$/.exec(cells[1] ?? '')?.[1];
      if (kind) table.set(kind, cells.at(-2)!);
    }
    for (const kind of ERROR_KINDS) {
      const documented = kind === 'aborted' ? `${EXIT.cancelled} / ${EXIT.terminated}` : String(EXIT_CODE_OF_KIND[kind]);
      expect([kind, table.get(kind)]).toEqual([kind, documented]);
    }
  });

  it('flotilla run --help lists the same codes', () => {
    for (const code of [EXIT.ok, EXIT.failed, EXIT.usage, EXIT.unavailable, EXIT.waiting, EXIT.cancelled, EXIT.terminated]) expect(RUN_USAGE).toMatch(new RegExp(`\\b${code} (succeeded|run failed|bad usage|no model|waiting|cancelled)`));
  });
});
