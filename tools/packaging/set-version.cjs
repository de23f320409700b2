#!/usr/bin/env node
// Moves every package to one new version: `node tools/packaging/set-version.cjs 0.2.0`.
// Sets the root package.json's version, each package's (tools/packaging/packages.cjs) and
// every @flotilla/* dependency between them, so that they stay in step (check-packages.cjs
// refuses anything else).
const fs = require('node:fs');
const path = require('node:path');
const { PACKAGE_ROOTS } = require('./packages.cjs');

const ROOT = path.resolve(__dirname, '../..');
const [version] = process.argv.slice(2);
if (!version || !/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) {
  console.error('usage: set-version.cjs <major.minor.patch[-pre]>');
  process.exit(2);
}
for (const file of ['package.json', ...PACKAGE_ROOTS.map((r) => `${r}/package.json`)]) {
  const full = path.join(ROOT, file);
  const pkg = JSON.parse(fs.readFileSync(full, 'utf8'));
  pkg.version = version;
  for (const field of ['dependencies', 'peerDependencies', 'devDependencies']) {
    for (const name of Object.keys(pkg[field] ?? {})) if (name.startsWith('@flotilla/') && file !== 'package.json') pkg[field][name] = version;
  }
  fs.writeFileSync(full, `${JSON.stringify(pkg, null, 2)}\n`);
}
console.log(`${PACKAGE_ROOTS.length} packages and the workspace at ${version}; next: node tools/packaging/changelog.cjs, then commit and tag v${version}`);
