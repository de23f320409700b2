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
    // Long system tests (*.system.spec.ts: crash, chaos, fairness, soak) run on CI's Node 20 leg
    // only; the other legs set FLOTILLA_SYSTEM_TESTS=0.
    testPathIgnorePatterns: [
      '/node_modules/',
      ...(process.env.FLOTILLA_LIVE ? [] : ['\\.live\\.spec\\.ts$']),
      ...(process.env.FLOTILLA_SYSTEM_TESTS === '0' ? ['\\.system\\.spec\\.ts$'] : []),
    ],
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
