// Lint rules that keep the workspace a map: apps import libs, libs never import apps,
// and the pure libs (wire formats, codecs, event types) never touch Kafka, NestJS, pg or any I/O.
import nx from '@nx/eslint-plugin';
import { readdirSync, readFileSync } from 'node:fs';

/** The libs tagged `purity:pure` in their project.json: wire formats, codecs, event types. */
const PURE_LIBS = readdirSync('libs').filter((name) => {
  try {
    const project = JSON.parse(readFileSync(`libs/${name}/project.json`, 'utf8'));
    return (project.tags ?? []).includes('purity:pure');
  } catch {
    return false;
  }
});

/** Packages that do I/O: a pure lib importing one of these fails the lint. */
const IO_PACKAGES = [
  'kafkajs', '@kafkajs/*', '@nestjs/*', 'pg', 'pg-*', 'cap', 'express', 'wavefile',
  'playwright-core', 'node-fetch', 'undici',
];
/** Node built-ins that do I/O, banned in pure libs (they take and return buffers). */
const IO_BUILTINS = [
  'fs', 'fs/promises', 'net', 'dgram', 'http', 'https', 'http2', 'child_process', 'cluster',
  'worker_threads', 'tls', 'dns', 'os', 'readline',
].flatMap((m) => [m, `node:${m}`]);

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/node_modules', '**/dist', '.cache', '.local', '.nx', 'out', 'tmp'] },
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
            {
              sourceTag: 'purity:pure',
              onlyDependOnLibsWithTags: ['purity:pure'],
              bannedExternalImports: IO_PACKAGES,
            },
          ],
        },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // Pure libs: no I/O built-ins, and no logging (library code never logs).
    files: PURE_LIBS.map((name) => `libs/${name}/**/*.ts`),
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: IO_BUILTINS, patterns: IO_PACKAGES }],
      'no-console': 'error',
    },
  },
  {
    // Every lib: no logging; errors and counters go to the caller.
    files: ['libs/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: { 'no-console': 'error' },
  },
];
