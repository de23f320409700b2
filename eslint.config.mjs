import nx from '@nx/eslint-plugin';

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', '**/tmp', '**/.nx', '**/files/**'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          banTransitiveDependencies: false,
          depConstraints: [
            {
              sourceTag: 'scope:core',
              onlyDependOnLibsWithTags: ['scope:core'],
              bannedExternalImports: ['ollama', 'ollama/*', 'openai', 'openai/*', 'node-llama-cpp', 'better-sqlite3'],
            },
            { sourceTag: 'scope:adapter', onlyDependOnLibsWithTags: ['scope:core', 'scope:transport', 'scope:testing'] },
            { sourceTag: 'scope:transport', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'scope:router', onlyDependOnLibsWithTags: ['scope:core', 'scope:transport', 'scope:adapter'] },
            { sourceTag: 'scope:gateway', onlyDependOnLibsWithTags: ['scope:core', 'scope:transport', 'scope:router', 'scope:observability'] },
            { sourceTag: 'scope:testing', onlyDependOnLibsWithTags: ['scope:core'] },
            { sourceTag: 'scope:agents', onlyDependOnLibsWithTags: ['scope:core', 'scope:chain'] },
            { sourceTag: 'scope:chain', onlyDependOnLibsWithTags: ['scope:core'] },
            { sourceTag: 'scope:observability', onlyDependOnLibsWithTags: ['scope:core'] },
            { sourceTag: 'scope:store', onlyDependOnLibsWithTags: ['scope:core'] },
            { sourceTag: 'scope:mcp', onlyDependOnLibsWithTags: ['scope:core'] },
            { sourceTag: 'scope:authoring', onlyDependOnLibsWithTags: ['scope:core', 'scope:chain', 'scope:adapter', 'scope:transport'] },
            { sourceTag: 'scope:app', onlyDependOnLibsWithTags: ['*'] },
            { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['*'] },
            { sourceTag: 'scope:integration', onlyDependOnLibsWithTags: ['*'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Index access on arrays we just bounds-checked; the assertion says so.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
];
