#!/usr/bin/env node
// Builds one publishable package: `node tools/packaging/build-package.cjs <projectRoot>`.
// tsc compiles what <projectRoot>/tsconfig.lib.json names (CommonJS + declarations, other
// @flotilla packages resolved from their built dist/ through tsconfig.build.json's paths) into
// dist/<projectRoot>, keeping the project's layout (src/..., so files a module finds through
// __dirname, such as libs/chain/schema, sit where they do in the repository); then the
// package.json, the project's README.md, the repository's LICENSE and the non-source entries
// of the package's `files` (product data: schemas, templates, cassettes) are copied beside it.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');

function build(projectRoot) {
  const src = path.join(ROOT, projectRoot);
  const out = path.join(ROOT, 'dist', projectRoot);
  const pkg = JSON.parse(fs.readFileSync(path.join(src, 'package.json'), 'utf8'));
  fs.rmSync(out, { recursive: true, force: true });
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(src, 'tsconfig.lib.json')], { cwd: ROOT, stdio: 'inherit' });
  if (tsc.status !== 0) throw new Error(`tsc failed for ${projectRoot}`);
  fs.copyFileSync(path.join(src, 'package.json'), path.join(out, 'package.json'));
  fs.copyFileSync(path.join(src, 'README.md'), path.join(out, 'README.md'));
  fs.copyFileSync(path.join(ROOT, 'LICENSE'), path.join(out, 'LICENSE'));
  for (const entry of pkg.files ?? []) {
    const top = entry.split('/')[0];
    if (top === 'src' || top.includes('*')) continue;
    const from = path.join(src, top);
    if (!fs.existsSync(from)) throw new Error(`${projectRoot}/package.json: "files" names ${top}, which does not exist`);
    fs.cpSync(from, path.join(out, top), { recursive: true });
  }
  const bins = typeof pkg.bin === 'string' ? [pkg.bin] : Object.values(pkg.bin ?? {});
  for (const bin of bins) fs.chmodSync(path.join(out, bin), 0o755);
}

const [projectRoot] = process.argv.slice(2);
if (!projectRoot) {
  console.error('usage: build-package.cjs <projectRoot>');
  process.exit(2);
}
try {
  build(projectRoot.replace(/\/$/, ''));
} catch (e) {
  console.error(`build-package: ${e.message}`);
  process.exit(1);
}
