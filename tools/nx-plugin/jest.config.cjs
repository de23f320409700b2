const preset = require('../../jest.preset.cjs')(__dirname, 'nx-plugin');

module.exports = {
  ...preset,
  testPathIgnorePatterns: [...preset.testPathIgnorePatterns, '/files/'],
  // The end-to-end spec generates into a copy of the workspace and runs jest and eslint there.
  testTimeout: 240_000,
};
