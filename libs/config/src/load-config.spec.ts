import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, commonSettings, describeConfig, HOST_PORT, loadConfig, setting } from './index';

const tree = {
  ...commonSettings,
  capture: {
    snapLength: setting.int('EARSHOT_SNAPLEN', 'Bytes kept per packet.', 65535, { min: 64, max: 262144 }),
    promiscuous: setting.bool('EARSHOT_PROMISC', 'Promiscuous mode.', true),
    mode: setting.oneOf('EARSHOT_MODE', 'sniff or agent.', 'sniff', ['sniff', 'agent'] as const),
  },
  token: setting.string('EARSHOT_TOKEN', 'Required secret.'),
};

function tmpFile(contents: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-config-'));
  writeFileSync(join(dir, 'c.json'), contents);
  return join(dir, 'c.json');
}

describe('loadConfig', () => {
  test('defaults apply, environment beats file beats default, and values are typed', () => {
    const file = tmpFile(JSON.stringify({ capture: { snapLength: 1500, promiscuous: false }, kafka: { brokers: ['f:1'] } }));
    const c = loadConfig(tree, { env: { EARSHOT_TOKEN: 's', EARSHOT_KAFKA_BROKERS: 'a:9092, [::1]:9093' }, file });
    assert.deepEqual(c.kafka.brokers, ['a:9092', '[::1]:9093']);
    assert.equal(c.capture.snapLength, 1500);
    assert.equal(c.capture.promiscuous, false);
    assert.equal(c.capture.mode, 'sniff');
    assert.equal(c.registry.url, 'http://127.0.0.1:8081/apis/ccompat/v7');
    assert.equal(c.instanceId, null);
  });

  const wrong: Array<{ name: string; env: Record<string, string>; message: RegExp }> = [
    { name: 'int out of range', env: { EARSHOT_SNAPLEN: '10' }, message: /EARSHOT_SNAPLEN \/ capture\.snapLength \(environment\) must be an integer from 64 to 262144, got "10"/ },
    { name: 'not a number', env: { EARSHOT_SNAPLEN: 'abc' }, message: /capture\.snapLength.*got "abc"/ },
    { name: 'bad boolean', env: { EARSHOT_PROMISC: 'maybe' }, message: /EARSHOT_PROMISC.*must be true or false/ },
    { name: 'not one of', env: { EARSHOT_MODE: 'spy' }, message: /must be one of sniff, agent, got "spy"/ },
    { name: 'bad broker list', env: { EARSHOT_KAFKA_BROKERS: 'localhost' }, message: /EARSHOT_KAFKA_BROKERS.*must be a list of host:port/ },
    { name: 'bad url', env: { EARSHOT_REGISTRY_URL: 'ftp:x' }, message: /EARSHOT_REGISTRY_URL.*must be an http\(s\) URL/ },
  ];
  for (const c of wrong) {
    test(`a wrong value stops loading and names the setting: ${c.name}`, () => {
      assert.throws(() => loadConfig(tree, { env: { EARSHOT_TOKEN: 's', ...c.env }, file: null }), (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, c.message);
        return true;
      });
    });
  }

  test('a required setting that is missing is named', () => {
    assert.throws(() => loadConfig(tree, { env: {}, file: null }), /EARSHOT_TOKEN \/ token is required and not set/);
  });

  test('a file key that is no setting, and a file that is not JSON, are refused', () => {
    assert.throws(() => loadConfig(tree, { env: { EARSHOT_TOKEN: 's' }, file: tmpFile('{"capture":{"snaplen":1}}') }),
      /capture\.snaplen .* is not a setting/);
    assert.throws(() => loadConfig(tree, { env: { EARSHOT_TOKEN: 's' }, file: tmpFile('nope') }), /is not a JSON object/);
    assert.throws(() => loadConfig(tree, { env: { EARSHOT_TOKEN: 's', EARSHOT_CONFIG_FILE: '/nonexistent/x.json' } }), /cannot read \/nonexistent\/x\.json/);
  });

  test('HOST_PORT accepts names, IPv4 and bracketed IPv6', () => {
    for (const ok of ['localhost:9092', '10.0.0.1:1', '[::1]:9092']) assert.match(ok, HOST_PORT.pattern);
    for (const bad of ['::1:9092', 'host', 'host:']) assert.doesNotMatch(bad, HOST_PORT.pattern);
  });

  test('describeConfig lists every setting with its env var, key and default', () => {
    const rows = describeConfig(tree);
    assert.ok(rows.includes('| `EARSHOT_SNAPLEN` | `capture.snapLength` | `65535` | Bytes kept per packet. |'));
    assert.ok(rows.some((r) => r.startsWith('| `EARSHOT_TOKEN` | `token` | `(required)`')));
    assert.equal(rows.length, 12);
  });
});

test('EARSHOT_KAFKA_START_FROM accepts earliest, latest and times, and names anything else', () => {
  for (const ok of ['earliest', 'latest', '1763942400000', '2025-11-24T00:00:00Z', '2025-11-24T00:00:00.5+01:00']) {
    assert.equal(loadConfig(commonSettings, { env: { EARSHOT_KAFKA_START_FROM: ok }, file: null }).kafka.startFrom, ok);
  }
  assert.throws(() => loadConfig(commonSettings, { env: { EARSHOT_KAFKA_START_FROM: 'yesterday' }, file: null }),
    /EARSHOT_KAFKA_START_FROM \/ kafka\.startFrom \(environment\) must be earliest, latest, a ms timestamp or an ISO 8601 time, got "yesterday"/);
});
