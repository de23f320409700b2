// Shared jest settings: swc with legacy decorators + metadata (Inversify needs both),
// tsconfig paths resolved by Nx's resolver.
const path = require('node:path');

/** @param {string} projectDir */
module.exports = function preset(projectDir, displayName) {
  return {
    displayName,
    rootDir: projectDir,
    testEnvironment: 'node',
    resolver: '@nx/jest/plugins/resolver',
    moduleFileExtensions: ['ts', 'js', 'json'],
    testMatch: ['<rootDir>/src/**/*.spec.ts'],
    // Tests against live external servers are opt-in: FLOTILLA_LIVE=1 runs *.live.spec.ts.
    testPathIgnorePatterns: process.env.FLOTILLA_LIVE ? ['/node_modules/'] : ['/node_modules/', '\\.live\\.spec\\.ts$'],
    transform: {
      '^.+\\.ts$': [
        '@swc/jest',
        {
          jsc: {
            target: 'es2022',
            parser: { syntax: 'typescript', decorators: true },
            transform: { legacyDecorator: true, decoratorMetadata: true },
          },
          module: { type: 'commonjs' },
          sourceMaps: 'inline',
        },
      ],
    },
    setupFiles: [path.join(__dirname, 'tools/jest/setup.cjs')],
  };
};
