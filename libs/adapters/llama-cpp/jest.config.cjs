module.exports = require('../../../jest.preset.cjs')(__dirname, 'adapter-llama-cpp');
