/**
 * The console end to end, against the real stack: the status app as its own process on a fresh
 * database, calls put in through the topics (CallEvents, RecordingEvents, a real WAV; RtpBatches for
 * a call in progress) and projected by the app's projector, and Debian's chromium driven by
 * playwright-core: sign in as the first account, find and open the call, play it (the audio element
 * reaches `playing` and its time advances), download it (the bytes of the stored WAV), listen to a
 * call in progress live, and, as an agent, be refused another agent's call.
 * Also GET /api/calls/:callId/live over plain HTTP: audio bytes of the call's RTP, MONITOR audited.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { TOPICS } from '@earshot/events';
import { eventually } from '../libs/kafka/src/testing/test-stack';
import {
  createAccount, directoryUser, publishCallInProgress, publishRecordedCall, rtpBatches, startConsoleStack, testCall, waitForCall,
  type ConsoleStack, type TestCall,
} from './status-console-support';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = '/tmp/status-console-call-detail.png';

/** Publishes the call's RTP in real time (100 ms batches per direction) until stopped, as the rtp-collector would. */
function streamRtp(stack: ConsoleStack, call: TestCall): { stop: () => Promise<void>; sent: () => number } {
  let stopped = false;
  let i = 0;
  call.startedUs = Date.now() * 1000 - 2_000_000; // packets carry capture times of now
  const done = (async () => {
    while (!stopped) {
      const batches = rtpBatches(call, i * 5, 5, i, i % 2 === 0); // every other batch without callId: found by the SDP endpoints
      await stack.producer.send(TOPICS.rtp, batches.map((b) => ({ key: b.mediaKey, value: b })));
      i++;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return { stop: async () => { stopped = true; await done; }, sent: () => i };
}

/** What the tests touch of an <audio> element inside the page (the test's own types have no DOM). */
interface MediaElement {
  currentTime: number;
  dataset: Record<string, string | undefined>;
  addEventListener(type: string, listener: () => void): void;
}

/** RMS of PCM16 little-endian bytes. */
function rms(pcm: Buffer): number {
  let sum = 0;
  const n = Math.floor(pcm.length / 2);
  for (let k = 0; k < n; k++) sum += pcm.readInt16LE(k * 2) ** 2;
  return n === 0 ? 0 : Math.sqrt(sum / n);
}

describe('status console', () => {
  const run = randomUUID().replace(/-/g, '').slice(0, 10);
  let stack: ConsoleStack;
  let adminToken: string;
  let recorded: TestCall;
  let bobsCall: TestCall;
  let live: TestCall;
  let wav: Buffer;

  before(async () => {
    stack = await startConsoleStack(run);
    adminToken = await stack.login('admin', stack.adminPassword);
    await stack.producer.send(TOPICS.directory, [
      { key: 'alice', value: directoryUser('alice', 'Alice Agent', '1001', 'support') },
      { key: 'bob', value: directoryUser('bob', 'Bob Agent', '1002', 'sales') },
    ]);
    recorded = testCall(run, 'recorded', 'alice', '1001', 20 * 60_000, 21);
    recorded.callee.user = `+1555${run.replace(/\D/g, '').padEnd(7, '7').slice(0, 7)}`; // a number only this run's call has
    bobsCall = testCall(run, 'bobs', 'bob', '1002', 15 * 60_000, 22);
    live = testCall(run, 'live', 'alice', '1001', 30_000, 23);
    wav = await publishRecordedCall(stack.producer, stack.recordingsDir, recorded, 6);
    await publishRecordedCall(stack.producer, stack.recordingsDir, bobsCall, 4);
    await publishCallInProgress(stack.producer, live);
    await waitForCall(stack, adminToken, recorded.callId, true);
    await waitForCall(stack, adminToken, bobsCall.callId, true);
    await waitForCall(stack, adminToken, live.callId, false);
    await createAccount(stack, adminToken, { username: 'alice', password: 'alice-password', role: 'agent', userId: 'alice' });
    await createAccount(stack, adminToken, { username: 'bob', password: 'bob-password', role: 'agent', userId: 'bob' });
  });

  after(async () => {
    // qm.directory.v1 is shared: the agents written here must not stay (a directory with users stops
    // `earshot run` from recording every call on this machine).
    for (const user of ['alice', 'bob']) await stack?.producer.sendTombstone(TOPICS.directory, user).catch(() => undefined);
    await stack?.stop();
  });

  describe('GET /api/calls/:callId/live', () => {
    test('streams the call in progress as WAV audio from its RTP, and audits MONITOR', async () => {
      const rtp = streamRtp(stack, live);
      const controller = new AbortController();
      try {
        const r = await fetch(`${stack.baseUrl}/api/calls/${encodeURIComponent(live.callId)}/live`, { headers: { Authorization: `Bearer ${adminToken}` }, signal: controller.signal });
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('content-type'), 'audio/wav');
        const reader = r.body?.getReader();
        assert.ok(reader);
        const chunks: Buffer[] = [];
        let size = 0;
        let loud = 0;
        const deadline = Date.now() + 20_000;
        // Read until a full second of audio is loud: the mix of both directions' tones.
        while (Date.now() < deadline && loud < 8000) {
          const { value, done } = await reader.read();
          if (done) break;
          chunks.push(Buffer.from(value));
          size += value.length;
          const all = Buffer.concat(chunks);
          const pcm = all.subarray(44);
          const tail = pcm.subarray(Math.max(0, (pcm.length & ~1) - 1600), pcm.length & ~1); // the last 100 ms
          if (tail.length === 1600 && rms(tail) > 8000) loud += 800;
        }
        controller.abort();
        const all = Buffer.concat(chunks);
        assert.equal(all.subarray(0, 4).toString('ascii'), 'RIFF');
        assert.equal(all.subarray(8, 12).toString('ascii'), 'WAVE');
        assert.equal(all.readUInt32LE(24), 8000, 'sample rate');
        assert.equal(all.readUInt16LE(22), 1, 'mono');
        assert.ok(loud >= 8000, `a second of the call's audio within 20 s (got ${size} bytes, ${loud} loud samples)`);
        // Both directions mixed: 440 Hz and 660 Hz sines of amplitude 12000 give an RMS of about 12000, one alone about 8500.
        const pcm = all.subarray(44, 44 + ((all.length - 44) & ~1));
        assert.ok(rms(pcm.subarray(pcm.length - 8000)) > 10_500, `both directions in the mix (RMS ${rms(pcm.subarray(pcm.length - 8000)).toFixed(0)})`);
      } finally {
        controller.abort();
        await rtp.stop();
      }
      await eventually('the MONITOR audit entry to be projected', async () => {
        const r = await stack.db.query(`select user_id from projection.audit_entries where call_id = $1 and action = 'MONITOR'`, [live.callId]);
        return r.rows.some((row: { user_id: string }) => row.user_id === 'admin');
      });
    });

    test('is refused to agents (403), and for an ended call (409)', async () => {
      const agent = await stack.login('alice', 'alice-password');
      const r1 = await fetch(`${stack.baseUrl}/api/calls/${encodeURIComponent(live.callId)}/live`, { headers: { Authorization: `Bearer ${agent}` } });
      assert.equal(r1.status, 403);
      const r2 = await fetch(`${stack.baseUrl}/api/calls/${encodeURIComponent(recorded.callId)}/live`, { headers: { Authorization: `Bearer ${adminToken}` } });
      assert.equal(r2.status, 409);
      assert.match(((await r2.json()) as { error: string }).error, /ended/);
      const r3 = await fetch(`${stack.baseUrl}/api/calls/${encodeURIComponent(live.callId)}/live`);
      assert.equal(r3.status, 401);
    });
  });

  describe('in Debian\'s chromium', () => {
    let context: BrowserContext;
    let page: Page;
    let profile: string;
    const pageErrors: string[] = [];

    before(async () => {
      profile = mkdtempSync(join(tmpdir(), 'earshot-chromium-'));
      context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM, headless: true, acceptDownloads: true, viewport: { width: 1360, height: 900 },
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
          '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
      });
      page = context.pages()[0] ?? (await context.newPage());
      page.on('pageerror', (e) => pageErrors.push(e.message));
    });

    after(async () => {
      await context?.close();
      if (profile) rmSync(profile, { recursive: true, force: true });
    });

    async function signIn(username: string, password: string): Promise<void> {
      await page.goto(`${stack.baseUrl}/`);
      await page.locator('input[name=username]').fill(username);
      await page.locator('input[name=password]').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('.topbar').waitFor();
    }

    async function signOut(): Promise<void> {
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.locator('input[name=username]').waitFor();
    }

    test('the admin finds the recorded call, plays it and downloads the stored WAV', async () => {
      await signIn('admin', stack.adminPassword);
      assert.deepEqual(await page.locator('.nav a').allTextContents(), ['Calls', 'Live', 'Directory', 'Configuration', 'Services', 'Accounts']);
      // Find it with the filters: its number, the last hour, recorded only.
      await page.locator('input[name=number]').fill(recorded.callee.user);
      await page.locator('select[name=range]').selectOption('1h');
      await page.locator('select[name=hasRecording]').selectOption('true');
      await page.getByRole('button', { name: 'Search' }).click();
      const rows = page.locator('table.grid tbody tr');
      await eventually('the search to show the one call', async () => (await rows.count()) === 1 && (await rows.first().textContent())?.includes('Alice Agent (1001)') === true, 15_000);
      await rows.first().click();

      await page.locator('canvas.waveform').waitFor();
      const detail = await page.locator('main').textContent();
      for (const text of ['Alice Agent', recorded.callee.user, 'Legs and quality', 'Timeline', 'CONVERTED', '297', '1.8 ms']) assert.ok(detail?.includes(text), `detail page shows ${text}`);
      await page.screenshot({ path: SCREENSHOT, fullPage: true });

      // Play: the element reaches `playing` and its time advances.
      const player = page.locator('audio.player');
      await player.evaluate((a: MediaElement) => {
        a.dataset.events = '';
        for (const e of ['playing', 'error']) a.addEventListener(e, () => { a.dataset.events += `${e} `; });
      });
      await page.getByRole('button', { name: 'Play' }).click();
      await eventually('the audio element to reach playing', async () => ((await player.getAttribute('data-events')) ?? '').includes('playing'), 15_000);
      const t0 = await player.evaluate((a: MediaElement) => a.currentTime);
      await page.waitForTimeout(1500);
      const t1 = await player.evaluate((a: MediaElement) => a.currentTime);
      assert.ok(t1 > t0 + 0.5, `currentTime advances while playing (${t0} → ${t1})`);
      assert.equal(((await player.getAttribute('data-events')) ?? '').includes('error'), false);

      // Download: the bytes of the stored WAV.
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /Download WAV/ }).click()]);
      const path = await download.path();
      assert.ok(path);
      assert.ok(readFileSync(path).equals(wav), 'downloaded bytes equal the stored WAV');
      assert.equal(download.suggestedFilename().endsWith('.wav'), true);
      await eventually('PLAY and DOWNLOAD to be audited', async () => {
        const r = await stack.db.query(`select distinct action from projection.audit_entries where call_id = $1 and user_id = 'admin'`, [recorded.callId]);
        const actions = r.rows.map((row: { action: string }) => row.action);
        return actions.includes('PLAY') && actions.includes('DOWNLOAD');
      });
      assert.deepEqual(pageErrors, []);
    });

    test('the admin listens to a call in progress', async () => {
      const rtp = streamRtp(stack, live);
      try {
        await page.goto(`${stack.baseUrl}/#/live`);
        await page.locator('table.grid tbody tr', { hasText: 'Alice Agent (1001)' }).first().waitFor();
        await page.goto(`${stack.baseUrl}/#/calls/${encodeURIComponent(live.callId)}`);
        await page.getByRole('button', { name: /Listen live/ }).click();
        // The console plays the endless WAV through WebAudio: playing, its played time advancing, and the call's audio (not silence) heard.
        const player = page.locator('.live-player');
        await eventually('the live player to play', async () => (await player.getAttribute('data-state')) === 'playing', 20_000);
        await eventually('the call\'s audio to be heard live', async () => Number(await player.getAttribute('data-level')) > 0.2, 20_000);
        const p0 = Number(await player.getAttribute('data-played'));
        await page.waitForTimeout(2000);
        const p1 = Number(await player.getAttribute('data-played'));
        assert.ok(p1 > p0 + 1, `live played time advances (${p0} → ${p1})`);
        assert.match((await page.locator('.live-status').textContent()) ?? '', /Listening/);
        await page.getByRole('button', { name: /Stop/ }).click();
        assert.equal(await player.getAttribute('data-state'), 'idle');
      } finally {
        await rtp.stop();
      }
      await signOut();
    });

    test('an agent cannot open another agent\'s call: 403 shown, no audio', async () => {
      await signIn('bob', 'bob-password');
      assert.deepEqual(await page.locator('.nav a').allTextContents(), ['Calls']);
      // Bob's list has his call and not Alice's.
      const list = page.locator('table.grid tbody');
      await list.waitFor();
      await eventually('bob\'s own call in his list', async () => (await list.textContent())?.includes('Bob Agent (1002)') === true, 10_000);
      assert.equal((await list.textContent())?.includes('Alice Agent'), false);
      // Alice's call by its address: refused.
      await page.goto(`${stack.baseUrl}/#/calls/${encodeURIComponent(recorded.callId)}`);
      const panel = page.locator('.panel-error');
      await panel.waitFor();
      assert.match((await panel.textContent()) ?? '', /403/);
      assert.equal(await page.locator('audio').count(), 0);
      assert.equal(await page.locator('canvas.waveform').count(), 0);
      // His own call opens, with its player.
      await page.goto(`${stack.baseUrl}/#/calls/${encodeURIComponent(bobsCall.callId)}`);
      await page.locator('canvas.waveform').waitFor();
      assert.equal(await page.locator('audio.player').count(), 1);
      assert.deepEqual(pageErrors, []);
    });
  });
});
