import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planRun, RunConfigError } from './run-config';

const base = { runDir: '/tmp/run', baseDir: '/repo', host: 'box', nowMs: 1_700_000_000_000, env: {} };

test('one file for the whole system: shared keys to every service, a section per service, one recordings folder', () => {
  const plan = planRun({
    ...base,
    file: {
      kafka: { brokers: ['k1:9092'], groupPrefix: 'site' }, logLevel: 'debug', recordingsDir: 'rec',
      interfaces: ['eth1', 'eth2'], recorder: { linger: 5 }, status: { http: { port: 9000 } }, postgres: { url: 'postgres://u@db/x' },
    },
  });
  assert.deepEqual(plan.children.map((c) => c.name), ['status', 'recorder', 'converter', 'call-control/eth1', 'call-control/eth2', 'rtp-collector/eth1', 'rtp-collector/eth2']);
  assert.equal(plan.recordingsDir, '/repo/rec');
  assert.equal(plan.statusUrl, 'http://127.0.0.1:9000/');
  assert.deepEqual(plan.brokers, ['k1:9092']);
  const of = (name: string) => plan.children.find((c) => c.name === name);
  assert.deepEqual(of('recorder')?.fileContent, {
    heartbeatIntervalMs: 2000, kafka: { startFrom: '1700000000000', brokers: ['k1:9092'], groupPrefix: 'site' }, logLevel: 'debug', recordingsDir: '/repo/rec', linger: 5,
  });
  assert.equal(of('converter')?.fileContent['recordingsDir'], '/repo/rec');
  assert.equal(of('status')?.fileContent['recordingsDir'], '/repo/rec');
  assert.deepEqual(of('status')?.fileContent['postgres'], { url: 'postgres://u@db/x' });
  assert.equal(of('call-control/eth1')?.fileContent['recordingsDir'], undefined, 'call control has no recordings folder');
  assert.equal(of('call-control/eth1')?.fileContent['recordWhileDirectoryEmpty'], true);
  assert.deepEqual(of('rtp-collector/eth2')?.env, { EARSHOT_INSTANCE_ID: 'rtp-collector@box/eth2', EARSHOT_CAPTURE_INTERFACE: 'eth2', EARSHOT_CONFIG_FILE: '/tmp/run/rtp-collector_eth2.config.json' });
});

test('the command line wins over the environment, which wins over the file', () => {
  const file = { interfaces: ['eth1'], filter: 'host 10.0.0.1', recordingsDir: 'from-file', name: 'filename' };
  const env = { EARSHOT_RECORDINGS_DIR: '/env/rec', EARSHOT_CAPTURE_INTERFACE: 'eth9', EARSHOT_STATUS_PORT: '8181' };
  const fromEnv = planRun({ ...base, file, env });
  assert.deepEqual(fromEnv.interfaces, ['eth9']);
  assert.equal(fromEnv.recordingsDir, '/env/rec');
  assert.equal(fromEnv.statusUrl, 'http://127.0.0.1:8181/');
  assert.equal(fromEnv.name, 'filename');
  const cc = fromEnv.children.find((c) => c.app === 'call-control');
  assert.equal((cc?.fileContent['capture'] as Record<string, unknown>)['filter'], 'host 10.0.0.1', 'the file\'s filter goes in the file: the environment can override it');
  const flagged = planRun({ ...base, file, env, flags: { interfaces: ['lo'], filter: 'udp', name: 't1' } });
  assert.deepEqual(flagged.interfaces, ['lo']);
  const rtp = flagged.children.find((c) => c.app === 'rtp-collector');
  assert.equal(rtp?.env['EARSHOT_RTP_FILTER'], 'udp');
  assert.equal(rtp?.instanceId, 'rtp-collector@t1/lo');
});

test('a key that is not a setting of the system or a section is refused, naming it', () => {
  assert.throws(() => planRun({ ...base, file: { recoder: {} } }), (e: unknown) => e instanceof RunConfigError && /recoder/.test(e.message));
  assert.throws(() => planRun({ ...base, file: { interfaces: 'lo' } }), RunConfigError);
  assert.throws(() => planRun({ ...base, file: { stack: 'docker' } }), /local" or "external/);
});
