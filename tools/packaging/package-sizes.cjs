#!/usr/bin/env node
// Package sizes for docs/benchmarks.md: `node tools/packaging/package-sizes.cjs` (after
// `nx run-many -t build`). Packs every package, prints its packed and unpacked size, then
// installs three fresh projects in the OS temp folder from the tarballs (the registry for
// third-party packages only) and prints the size of their node_modules: core + the fixture
// adapter, core + the Ollama adapter, the CLI. Markdown tables on stdout.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { PACKAGE_ROOTS } = require('./packages.cjs');

const ROOT = path.resolve(__dirname, '../..');
const INSTALLS = [
  ['core + fixture adapter', ['@flotilla/core', '@flotilla/adapter-fixture']],
  ['core + Ollama adapter', ['@flotilla/core', '@flotilla/adapter-ollama']],
  ['the CLI (@flotilla/cli)', ['@flotilla/cli']],
];

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} kB`;
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Bytes of the files under a folder (what `du --apparent-size -sb` counts, symlinks not followed). */
function sizeOf(dir) {
  let total = 0;
  let count = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      const [t, c] = sizeOf(p);
      total += t;
      count += c;
    } else if (e.isFile()) {
      total += fs.statSync(p).size;
      count++;
    }
  }
  return [total, count];
}

function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-sizes-'));
  try {
    const tarballs = path.join(work, 'tarballs');
    fs.mkdirSync(tarballs);
    const packed = PACKAGE_ROOTS.map((root) => {
      const out = execFileSync('npm', ['pack', '--json', '--pack-destination', tarballs], { cwd: path.join(ROOT, 'dist', root), encoding: 'utf8' });
      const [info] = JSON.parse(out);
      const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'dist', root, 'package.json'), 'utf8'));
      return { name: info.name, file: path.join(tarballs, info.filename), size: info.size, unpacked: info.unpackedSize, files: info.entryCount, deps: Object.keys(pkg.dependencies ?? {}) };
    });
    console.log('| package | packed | unpacked | files |\n|---|---|---|---|');
    for (const p of packed) console.log(`| \`${p.name}\` | ${kb(p.size)} | ${kb(p.unpacked)} | ${p.files} |`);

    const byName = new Map(packed.map((p) => [p.name, p]));
    const closure = (names) => {
      const out = new Set();
      const visit = (n) => {
        if (out.has(n)) return;
        out.add(n);
        for (const d of byName.get(n).deps) if (d.startsWith('@flotilla/')) visit(d);
      };
      names.forEach(visit);
      return [...out].map((n) => byName.get(n).file);
    };
    console.log('\n| fresh project with | node_modules | files | packages |\n|---|---|---|---|');
    for (const [label, names] of INSTALLS) {
      const dir = path.join(work, label.replace(/\W+/g, '-'));
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'package.json'), '{ "name": "sizes", "private": true }\n');
      execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...closure(names)], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
      const [bytes, files] = sizeOf(path.join(dir, 'node_modules'));
      const lock = JSON.parse(fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8'));
      console.log(`| ${label} | ${mb(bytes)} | ${files} | ${Object.keys(lock.packages).filter((k) => k).length} |`);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main();
