#!/usr/bin/env node
// Runs a TypeScript entry point from source: swc with legacy decorators and decorator
// metadata (esbuild-based runners emit no metadata, which Inversify needs), and the
// workspace's tsconfig paths.
const path = require('node:path');
const root = path.resolve(__dirname, '../..');
process.env.SWC_NODE_PROJECT ??= path.join(root, 'tsconfig.base.json');
require('@swc-node/register');
require('reflect-metadata');
const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  console.error('usage: run-ts.cjs <entry.ts> [args...]');
  process.exit(2);
}
process.argv = [process.argv[0], path.resolve(entry), ...rest];
require(path.resolve(entry));
