// Tools for examples/dependency-audit: plain definitions (a JSON Schema input), so this
// module needs no import. Give it to the run: flotilla run chain.yaml --tools tools.mjs
// A real audit would ask a registry; this one answers from a table, so the example runs offline.

const REGISTRY = {
  'left-pad': { latest: '1.3.0', license: 'WTFPL', deprecated: 'use String.prototype.padStart()' },
  request: { latest: '2.88.2', license: 'Apache-2.0', deprecated: 'request has been deprecated, see https://github.com/request/request/issues/3142' },
  lodash: { latest: '4.17.21', license: 'MIT' },
  chalk: { latest: '5.3.0', license: 'MIT' },
  yaml: { latest: '2.9.1', license: 'ISC' },
};

export const packageInfo = {
  name: 'package_info',
  description: 'The latest version, the license and any deprecation notice of an npm package',
  input: {
    type: 'object',
    properties: { name: { type: 'string', maxLength: 64, description: 'the package name, without a version' } },
    required: ['name'],
    additionalProperties: false,
  },
  timeoutMs: 5000,
  run: ({ name }, { signal }) => {
    signal.throwIfAborted();
    const info = REGISTRY[name];
    return info ? { name, ...info } : { name, error: 'no such package in the registry' };
  },
};
