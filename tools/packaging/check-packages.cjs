#!/usr/bin/env node
// Checks the built packages (dist/<root>, after `nx run-many -t build`) against their
// package.json: every bare import in the emitted JavaScript and declarations is a dependency
// or a peer dependency, every dependency is imported somewhere, @flotilla/* dependencies are
// at the one version, and the fields every package carries are there. Prints each problem and
// exits 1 if there is any. `checkPackage` is used by the consumer test too.
const fs = require('node:fs');
const path = require('node:path');
const { builtinModules } = require('node:module');
const { PACKAGE_ROOTS } = require('./packages.cjs');

const ROOT = path.resolve(__dirname, '../..');
const VERSION = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
const BUILTIN = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

function filesUnder(dir) {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath ?? e.path, e.name));
}

/** `zod` of `zod/v4`, `@scope/name` of `@scope/name/sub`. */
function packageOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The bare specifiers a built file imports: require('x') and import('x') in .js; from 'x', import 'x' and import('x') in .d.ts. */
function importsOf(file) {
  const text = fs.readFileSync(file, 'utf8');
  const found = new Set();
  const patterns = file.endsWith('.d.ts')
    ? [/\bfrom\s+['"]([^'"]+)['"]/g, /\bimport\s+['"]([^'"]+)['"]/g, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g]
    : [/\brequire\(\s*['"]([^'"]+)['"]\s*\)/g, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g, /require\.resolve\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const re of patterns) for (const m of text.matchAll(re)) if (!m[1].startsWith('.') && !BUILTIN.has(m[1])) found.add(packageOf(m[1]));
  return found;
}

/** Problems of one built package directory (empty when it is right). */
function checkPackage(dir, root = path.relative(path.join(ROOT, 'dist'), dir)) {
  const problems = [];
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const where = `${pkg.name} (${root})`;
  for (const field of ['name', 'version', 'description', 'license', 'repository', 'engines', 'files']) if (pkg[field] === undefined) problems.push(`${where}: no "${field}"`);
  if (pkg.version !== VERSION) problems.push(`${where}: version ${pkg.version}, expected the one version ${VERSION}`);
  if (pkg.engines?.node !== '>=20') problems.push(`${where}: engines.node ${pkg.engines?.node}, expected >=20`);
  if (pkg.repository?.directory !== root) problems.push(`${where}: repository.directory ${pkg.repository?.directory}, expected ${root}`);
  if (pkg.optionalDependencies) problems.push(`${where}: optionalDependencies are installed by default; use an optional peer dependency`);
  for (const f of ['README.md', 'LICENSE']) if (!fs.existsSync(path.join(dir, f))) problems.push(`${where}: no ${f}`);
  const deps = pkg.dependencies ?? {};
  const peers = pkg.peerDependencies ?? {};
  for (const peer of Object.keys(peers)) if (!pkg.peerDependenciesMeta?.[peer]?.optional) problems.push(`${where}: peer ${peer} is not optional (peerDependenciesMeta)`);
  for (const [name, range] of Object.entries(deps)) if (name.startsWith('@flotilla/') && range !== VERSION) problems.push(`${where}: ${name}@${range}, expected ${VERSION}`);
  const used = new Map();
  for (const file of filesUnder(dir).filter((f) => /\.(js|cjs|mjs|d\.ts)$/.test(f))) {
    for (const name of importsOf(file)) if (!used.has(name)) used.set(name, path.relative(dir, file));
  }
  for (const [name, file] of used) if (name !== pkg.name && !(name in deps) && !(name in peers)) problems.push(`${where}: ${file} imports ${name}, which is neither a dependency nor a peer dependency`);
  // An optional peer is loaded lazily by name (requireOptionalPeer / resolveOptionalPeer): a string literal naming it counts.
  const js = filesUnder(dir).filter((f) => f.endsWith('.js')).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
  const named = (name) => js.includes(`'${name}'`) || js.includes(`"${name}"`);
  for (const name of Object.keys(deps)) if (!used.has(name)) problems.push(`${where}: depends on ${name}, which nothing in the package imports`);
  for (const name of Object.keys(peers)) if (!used.has(name) && !named(name)) problems.push(`${where}: peer ${name} is neither imported nor loaded by name`);
  return problems;
}

module.exports = { checkPackage, importsOf, VERSION };

if (require.main === module) {
  const problems = PACKAGE_ROOTS.flatMap((root) => {
    const dir = path.join(ROOT, 'dist', root);
    return fs.existsSync(dir) ? checkPackage(dir, root) : [`${root}: not built (dist/${root}); run nx run-many -t build`];
  });
  for (const p of problems) console.error(p);
  console.log(problems.length === 0 ? `${PACKAGE_ROOTS.length} packages: dependencies match their imports` : `${problems.length} problem(s)`);
  process.exit(problems.length === 0 ? 0 : 1);
}
