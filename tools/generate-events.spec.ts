import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generate, readSchemas, staleFiles } from './generate-events';

test('libs/events/src/generated matches schemas/ and infra/topics.json (run npm run generate:events)', () => {
  assert.deepEqual(staleFiles(), []);
});

test('every schema field is documented and every generated type is exported', () => {
  const types = generate().get('event-types.ts') ?? '';
  for (const [name] of readSchemas()) assert.match(types, new RegExp(`export interface ${name} \\{`));
});
