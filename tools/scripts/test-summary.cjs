#!/usr/bin/env node
// Prints `tests: N passed, M failed` summed over jest --json output files (one per CI leg),
// after a line per leg when there are several. Suites that failed to load count as
// failures (jest reports them with no test results), and a missing or unreadable file is a
// failure, not a silent pass. Exits 1 when anything failed.
//   node tools/scripts/test-summary.cjs [label=]file.json ...
const fs = require('node:fs');

const args = process.argv.slice(2);
if (args.length === 0) args.push('.ci-out/jest.json');

/** @returns {{ passed: number, failed: number }} */
function count(file) {
  let passed = 0;
  let failed = 0;
  try {
    const report = JSON.parse(fs.readFileSync(file, 'utf8'));
    passed = report.numPassedTests;
    failed = report.numFailedTests;
    for (const suite of report.testResults ?? []) {
      const ran = (suite.assertionResults ?? []).length;
      if (suite.status === 'failed' && ran === 0) {
        failed += 1;
        console.error(`suite failed to run: ${suite.name}\n${(suite.message ?? '').slice(0, 2000)}`);
      }
    }
    if (report.numTotalTests === 0) {
      console.error(`${file}: no tests ran`);
      failed += 1;
    }
  } catch (e) {
    console.error(`could not read ${file}: ${e.message}`);
    failed += 1;
  }
  return { passed, failed };
}

let passed = 0;
let failed = 0;
for (const arg of args) {
  const eq = arg.indexOf('=');
  const [label, file] = eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg, arg];
  const leg = count(file);
  if (args.length > 1) console.log(`${label}: ${leg.passed} passed, ${leg.failed} failed`);
  passed += leg.passed;
  failed += leg.failed;
}
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
