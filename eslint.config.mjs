// Lint rules that keep the workspace a map: apps import libs, libs never import apps, each part
// (scope) uses only the libs of its own scope and the shared ones, nothing reaches into another
// project's sources by a relative path, and the pure libs (wire formats, codecs, event types) never
// touch Kafka, NestJS, pg or any I/O. The scopes are described in docs/CONVENTIONS.md.
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

/** Apps reach Kafka through @earshot/kafka, never the client package itself. */
const KAFKA_CLIENT = { name: 'kafkajs', message: 'Use @earshot/kafka (ConsumerRunner, CompactedTopicReader, withAdmin, KafkaClient and the other re-exported types).' };

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
            // No lib builds on the test fixtures (call-scenarios builds on the wire libs).
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'], notDependOnLibsWithTags: ['scope:testing'] },
            // Scopes (docs/CONVENTIONS.md): what each part of the pipeline may build on.
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:capture', onlyDependOnLibsWithTags: ['scope:shared', 'scope:capture', 'scope:testing'] },
            { sourceTag: 'scope:media', onlyDependOnLibsWithTags: ['scope:shared', 'scope:media', 'scope:testing'] },
            { sourceTag: 'scope:status', onlyDependOnLibsWithTags: ['scope:shared', 'scope:media'] },
            { sourceTag: 'scope:testing', onlyDependOnLibsWithTags: ['scope:shared', 'scope:capture', 'scope:media'] },
            { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['scope:shared', 'scope:capture', 'scope:media', 'scope:testing'] },
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
    // Tests, benchmarks and tools are no project, so the Nx rule does not see them: they reach an app
    // through its package (@earshot/<app>, its src/index.ts) and a lib through its package too; only
    // a lib's test helpers (libs/<lib>/src/testing/) are reached by path.
    files: ['test/**/*.ts', 'bench/**/*.ts', 'tools/**/*.ts', 'infra/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { regex: '^(\\.\\.?/)+apps/', message: 'Import the app by its package (@earshot/<app>, exported from its src/index.ts), not by a path into its sources.' },
          { regex: '^(\\.\\.?/)+libs/(?![^/]+/src/testing/)', message: 'Import the lib by its package (@earshot/<lib>); only its src/testing/ helpers are reached by path.' },
        ],
      }],
    },
  },
  {
    // The Kafka client is named in libs/kafka alone: apps use its runner, readers, admin helpers and
    // re-exported types, so the client can be changed in one place.
    files: ['apps/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [KAFKA_CLIENT] }],
    },
  },
  {
    // The test fixtures (scope:testing) stay in tests, in an app's src/testing/ helpers, and in the CLI's sample capture.
    // (ESLint takes the last block's options for a rule, so the Kafka client is listed here again.)
    files: ['apps/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/testing/**', 'apps/cli/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [KAFKA_CLIENT, { name: '@earshot/call-scenarios', message: 'Test fixtures: only in *.spec.ts and src/testing/ helpers.' }],
      }],
    },
  },
  {
    // Every lib: no logging; errors and counters go to the caller.
    files: ['libs/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: { 'no-console': 'error' },
  },
];
