import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVICE_APPS, startApp } from './app-process';

// A wrong value stops each app before it connects, with exit code 2 and a message naming the setting.
describe('every app validates its configuration at start', () => {
  for (const app of SERVICE_APPS) {
    test(`${app}: a wrong environment value names the setting`, async () => {
      const p = startApp(app, { EARSHOT_KAFKA_BROKERS: 'no-port-here' });
      const { code } = await p.exited;
      assert.equal(code, 2, p.output());
      assert.match(p.output(), /configuration error: EARSHOT_KAFKA_BROKERS \/ kafka\.brokers \(environment\) must be a list of host:port, got "no-port-here"/);
    });
  }

  test('a config file with an unknown key is refused with the key named', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'earshot-app-config-')), 'recorder.json');
    writeFileSync(file, JSON.stringify({ lingerMs: 500, lingerMS: 1 }));
    const p = startApp('recorder', { EARSHOT_CONFIG_FILE: file });
    const { code } = await p.exited;
    assert.equal(code, 2);
    assert.match(p.output(), /lingerMS \(in .*recorder\.json\) is not a setting/);
  });

  test('a file value out of range is named with the file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'earshot-app-config-')), 'collector.json');
    writeFileSync(file, JSON.stringify({ batch: { maxPackets: 0 } }));
    const p = startApp('rtp-collector', { EARSHOT_CONFIG_FILE: file });
    const { code } = await p.exited;
    assert.equal(code, 2);
    assert.match(p.output(), /EARSHOT_BATCH_MAX_PACKETS \/ batch\.maxPackets \(file .*collector\.json\) must be an integer from 1 to 10000, got 0/);
  });
});
