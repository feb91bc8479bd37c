import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { commonSettings, describeConfig } from '@earshot/config';
import { CONFIG_REFERENCE_FILE, configReference } from './config-reference';

test('docs/configuration.md lists every setting as the code defines it (regenerate with tools/config-reference.ts)', () => {
  assert.equal(readFileSync(CONFIG_REFERENCE_FILE, 'utf8'), configReference());
  assert.match(configReference(), /\| `EARSHOT_BATCH_MAX_PACKETS` \| `batch\.maxPackets` \| `50` \|/);
});

test('the README lists every common setting as the code defines it', () => {
  const readme = readFileSync(resolve(__dirname, '../README.md'), 'utf8');
  for (const row of describeConfig(commonSettings)) assert.ok(readme.includes(row), `README is missing: ${row}`);
});
