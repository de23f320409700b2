// Starts a real llama.cpp server (built once from node-llama-cpp's bundled source, then cached):
// the first run may build it for several minutes (see docs/llama-server.md).
module.exports = { ...require('../../../jest.preset.cjs')(__dirname, 'integration-llama-server'), testTimeout: 60000 };
