/**
 * `earshot run` live on the loopback interface (issue 8): 20 concurrent two-way sipp calls, then
 * the RTP collector SIGKILLed (the supervisor must start it again), then 20 more calls on the same
 * media ports with the same SSRCs (sipp's SSRC is fixed and a new sipp numbers its calls from 1
 * again). Every RTP packet sent — counted by dumpcap/tshark on lo, 0 dropped — must be in the
 * recordings, and every call converted to a WAV in the one recordings folder.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SippLoad } from '@earshot/cli';
import { eventually } from '../libs/kafka/src/testing/test-stack';
import { foreignEndOfCapture, RunEvents, startEarshotRun, WireCount, type EarshotRun } from './support/earshot-run-harness';

const run = randomUUID().slice(0, 8);
const NAME = `it-${run}`;
const CALLS = 20;
// Ports of this run only (another run of this test, or sipp-live, uses others).
const BASE = 36000 + randomInt(0, 12) * 1000;
const UAC = { ip: '127.0.0.1', sipPort: BASE + 2, mediaPort: BASE + 100 };
const UAS = { ip: '127.0.0.2', sipPort: BASE, mediaPort: BASE + 500 };
const MEDIA = `portrange ${BASE + 100}-${BASE + 999}`;
const FILTER = `udp and host ${UAS.ip} and (port ${UAC.sipPort} or port ${UAS.sipPort} or ${MEDIA})`;
const RTP_ON_WIRE = `ip.addr == ${UAS.ip} && udp.srcport >= ${BASE + 100} && udp.srcport <= ${BASE + 999} && udp.dstport >= ${BASE + 100} && udp.dstport <= ${BASE + 999}`;

describe('earshot run: the whole system live on lo, supervised', () => {
  let system: EarshotRun;
  let events: RunEvents;
  let wire: WireCount;
  const dir = mkdtempSync(join(tmpdir(), 'earshot-run-it-'));

  const startedAt = Date.now();

  before(async () => {
    events = new RunEvents(NAME);
    await events.start();
    // The directory on the shared topic may hold other tests' users: record every call here.
    system = await startEarshotRun({ name: NAME, filter: FILTER, config: { 'call-control': { recordEveryone: true } } });
    wire = new WireCount(dir, FILTER);
    await wire.start();
  });

  after(async () => {
    await wire?.stop().catch(() => undefined);
    await system?.stop();
    await events?.stop();
    rmSync(dir, { recursive: true, force: true });
    if (system) rmSync(system.home, { recursive: true, force: true });
  });

  test(`${CALLS} concurrent calls, a collector SIGKILLed and restarted, ${CALLS} more on the same ports and SSRCs: every packet recorded`, async () => {
    const wave = async (n: number) => {
      const r = await new SippLoad({ calls: CALLS, concurrent: CALLS, rate: 10, uac: UAC, uas: UAS, workDir: join(dir, `wave${n}`) }).run();
      assert.equal(r.succeeded, CALLS, `wave ${n}: sipp calls completed`);
      return r;
    };
    const first = await wave(1);

    const before = system.state()?.children.find((c) => c.kind === 'rtp-collector');
    assert.ok(before?.pid, 'the collector runs');
    process.kill(before.pid, 'SIGKILL');
    await eventually('the supervisor to start the collector again', () => {
      const c = system.state()?.children.find((x) => x.kind === 'rtp-collector');
      return c?.state === 'running' && c.restarts === 1 && c.pid !== before.pid;
    }, 60_000);
    assert.match(system.output(), /rtp-collector\/lo exited \(code 137\); restart 1/);

    await wave(2);
    assert.equal(await wire.stop(), 0, 'dumpcap dropped nothing: the count is what was sent');
    const sent = wire.count(RTP_ON_WIRE);
    assert.equal(sent, 2 * CALLS * 2 * first.packetsPerCallPerSide, 'RTP packets on the wire: every call, both directions');

    const callIds = () => events.callIdsFrom(`${UAC.ip}:${UAC.sipPort}`);
    await eventually(`${2 * CALLS} calls seen by call control`, () => callIds().length === 2 * CALLS, 30_000);
    // A FAILED event is not final on shared topics: another run's recorder may record these calls
    // too, and this run's converter then fails on that .raw before converting this run's own.
    await eventually('every call recorded and converted', () => callIds().every((id) => events.converted(id)), 90_000).catch(() => undefined);
    const failed = callIds().filter((id) => !events.converted(id)).map((id) => `${id}: ${events.failed(id)?.error ?? 'not converted'}`);
    if (failed.length > 0) {
      // Name the known cause when it happened: another run's capture file ending on the shared topics.
      const foreign = await foreignEndOfCapture(startedAt, Date.now(), NAME);
      assert.deepEqual(failed, [], `no call failed${foreign.length ? ` — other runs ended capture files meanwhile (${foreign.join(', ')}): their end-of-capture watermarks on qm.rtp.v1 take this run's recorder clock to the end` : ''}`);
    }
    const recorded = callIds().reduce((n, id) => n + events.recordedPackets(id), 0);
    const short = callIds().filter((id) => events.recordedPackets(id) !== 2 * first.packetsPerCallPerSide).map((id) => `${id}=${events.recordedPackets(id)}`);
    assert.deepEqual(short, [], `calls with packets missing (each should have ${2 * first.packetsPerCallPerSide})`);
    assert.equal(recorded, sent, 'every RTP packet sent is in the recordings');
    for (const id of callIds()) {
      const wav = events.converted(id)?.conversion?.path;
      assert.ok(wav && existsSync(join(system.recordingsDir, wav)), `${id}: WAV in the one recordings folder`);
    }
  });

  test('SIGTERM stops every child and the supervisor exits 0', async () => {
    const pids = (system.state()?.children ?? []).map((c) => c.pid).filter((p): p is number => p !== null);
    assert.equal(pids.length, 5);
    assert.equal(await system.stop(), 0);
    const alive = pids.filter((p) => {
      try {
        process.kill(p, 0);
        return true;
      } catch {
        return false;
      }
    });
    assert.deepEqual(alive, [], 'no child left running');
  });
});
