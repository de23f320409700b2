// The root jest run (`npm test`): every Nx project that has a test target, one summary.
const { getJestProjectsAsync } = require('@nx/jest');

module.exports = async () => ({ projects: await getJestProjectsAsync() });
