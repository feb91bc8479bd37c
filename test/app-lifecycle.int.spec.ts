/**
 * Each service app against the real local stack: it starts, connects, announces itself on
 * qm.services.v1, and on SIGTERM stops cleanly (exit 0) after a STOPPED heartbeat.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { TOPICS, type ServiceHeartbeat } from '@earshot/events';
import { ConsumerRunner, type EventCodec } from '@earshot/kafka';
import { connectTestStack, endOffsets, eventually } from '../libs/kafka/src/testing/test-stack';
import { SERVICE_APPS, startApp } from './app-process';

describe('service apps start, heartbeat and stop cleanly on the real stack', () => {
  let kafka: Kafka;
  let codec: EventCodec;
  let runner: ConsumerRunner<typeof TOPICS.services>;
  const beats: ServiceHeartbeat[] = [];
  const run = randomUUID().slice(0, 8);

  before(async () => {
    ({ kafka, codec } = await connectTestStack(`lifecycle-${run}`));
    const groupId = `lifecycle-${run}`;
    runner = new ConsumerRunner({
      kafka, codec, groupId, topics: [TOPICS.services], initialOffsets: await endOffsets(kafka, [TOPICS.services]),
      handle: async (m) => { if (m.value?.instanceId.endsWith(run)) beats.push(m.value); },
    });
    await runner.start();
  });
  after(async () => runner.stop());

  for (const app of SERVICE_APPS) {
    test(`${app}`, async () => {
      const instanceId = `${app}-test-${run}`;
      const p = startApp(app, { EARSHOT_INSTANCE_ID: instanceId, EARSHOT_STATUS_PORT: '18080', EARSHOT_HEARTBEAT_MS: '1000' });
      try {
        await eventually(`${app} to send a RUNNING heartbeat`, () => beats.some((b) => b.instanceId === instanceId && b.state === 'RUNNING'), 60_000)
          .catch((e: Error) => { throw new Error(`${e.message}\n${p.output()}`); });
        if (app === 'status') {
          // Its heartbeat starts while the modules initialise, before the HTTP listener is up.
          await eventually('status to answer /api/health', async () => (await fetch('http://127.0.0.1:18080/api/health').catch(() => null)) !== null);
          const response = await fetch('http://127.0.0.1:18080/api/health');
          const health = (await response.json()) as { status: string; kafka: { healthy: boolean }; registry: { healthy: boolean }; postgres: { healthy: boolean } };
          assert.equal(response.status, 200, JSON.stringify(health));
          assert.deepEqual([health.status, health.kafka.healthy, health.registry.healthy, health.postgres.healthy], ['ok', true, true, true]);
        }
        p.child.kill('SIGTERM');
        const { code } = await p.exited;
        assert.equal(code, 0, p.output());
        await eventually(`${app} to send a STOPPED heartbeat`, () => beats.some((b) => b.instanceId === instanceId && b.state === 'STOPPED'));
        const running = beats.find((b) => b.instanceId === instanceId && b.state === 'RUNNING');
        assert.equal(running?.serviceKind, app);
        assert.equal(running?.pid, p.child.pid);
      } finally {
        // A failed check must not leave the app running: it would hold the test file open.
        if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      }
    });
  }
});
