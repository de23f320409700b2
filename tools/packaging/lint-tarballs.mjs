#!/usr/bin/env node
// publint and @arethetypeswrong/cli on packed tarballs, offline:
// `node tools/packaging/lint-tarballs.mjs a.tgz b.tgz ...` prints one JSON line per tarball,
// { tarball, publint: [{ type, code, message }], attw: [{ kind, entrypoint, resolutionKind }] },
// and exits 1 if publint reports an error or attw any problem.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const require = createRequire(import.meta.url);
const ATTW = require.resolve('@arethetypeswrong/cli/package.json').replace(/package\.json$/, 'dist/index.js');

let failed = false;
for (const tarball of process.argv.slice(2)) {
  const bytes = fs.readFileSync(tarball);
  const lint = await publint({ pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) }, level: 'suggestion', strict: false });
  const publintMessages = lint.messages.map((m) => ({ type: m.type, code: m.code, message: formatMessage(m, lint.pkg) }));
  let attw;
  try {
    attw = JSON.parse(execFileSync(process.execPath, [ATTW, tarball, '--no-definitely-typed', '--format', 'json'], { encoding: 'utf8' }));
  } catch (e) {
    // attw exits 1 when it finds problems, still printing its JSON.
    attw = JSON.parse(e.stdout);
  }
  const attwProblems = (attw.analysis?.problems ?? []).map((p) => ({ kind: p.kind, entrypoint: p.entrypoint, resolutionKind: p.resolutionKind }));
  if (attwProblems.length > 0 || publintMessages.some((m) => m.type === 'error')) failed = true;
  console.log(JSON.stringify({ tarball, publint: publintMessages, attw: attwProblems }));
}
process.exit(failed ? 1 : 0);
