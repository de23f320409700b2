#!/usr/bin/env node
// Prints `tests: N passed, M failed` from a jest --json output file. Suites that failed
// to load count as failures (jest reports them with no test results), and a missing or
// unreadable file is a failure, not a silent pass. Exits 1 when anything failed.
const fs = require('node:fs');

const file = process.argv[2] ?? '.ci-out/jest.json';
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
    console.error('no tests ran');
    failed += 1;
  }
} catch (e) {
  console.error(`could not read ${file}: ${e.message}`);
  failed += 1;
}
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
