// The publishable packages, in build order: each project root holds the package.json that is
// published (copied to dist/<root> by build-package.cjs). One version for all of them: the
// root package.json's.
module.exports.PACKAGE_ROOTS = [
  'libs/core',
  'libs/store-sqlite',
  'libs/mcp',
  'libs/http',
  'libs/chain',
  'libs/agents',
  'libs/adapters/fixture',
  'libs/adapters/ollama',
  'libs/adapters/openai',
  'libs/adapters/llama-cpp',
  'libs/router',
  'libs/observability',
  'libs/authoring',
  'libs/gateway',
  'apps/cli',
  'apps/create-flotilla',
];
