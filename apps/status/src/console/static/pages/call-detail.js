import { api, enc } from '../api.js';
import { h, mount, table, fmtTime, fmtClock, fmtDuration, fmtNumber, stateBadge, badge, errorPanel, pageHeader, select, toast } from '../ui.js';
import { waveformView } from '../waveform.js';
import { livePlayer } from '../live-player.js';
import { partyLabel } from './calls.js';

const IN_PROGRESS = ['ringing', 'answered'];

function dl(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== undefined).map(([k, v]) => h('div', { class: 'fact' }, h('dt', {}, k), h('dd', {}, v === null || v === '' ? '—' : v))));
}

function partiesCard(call) {
  const row = (label, p) => h('tr', {}, h('th', {}, label), h('td', {}, p.name || '—'), h('td', {}, p.user || '—'), h('td', { class: 'mono' }, p.uri), h('td', { class: 'mono' }, p.assertedIdentity || '—'));
  return h('section', { class: 'card' }, h('h2', {}, 'Parties'),
    h('table', { class: 'grid' },
      h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, 'Name'), h('th', {}, 'Number'), h('th', {}, 'URI'), h('th', {}, 'Asserted identity'))),
      h('tbody', {}, row('Caller', call.caller), row('Callee', call.callee))));
}

function lossTone(pct) {
  if (pct === null || pct === undefined) return 'muted';
  return pct >= 5 ? 'bad' : pct >= 1 ? 'warn' : 'ok';
}

function legsCard(legs) {
  return h('section', { class: 'card' }, h('h2', {}, 'Legs and quality'),
    table([
      { title: 'Side', cell: (l) => String(l.side).toLowerCase() },
      { title: 'Media', cell: (l) => h('span', { class: 'mono' }, `${l.source} → ${l.destination}`) },
      { title: 'Codecs', cell: (l) => l.codecs.join(', ') || '—' },
      { title: 'SSRC', cell: (l) => h('span', { class: 'mono' }, l.ssrcs.map((s) => (s >>> 0).toString(16).padStart(8, '0')).join(', ') || '—') },
      { title: 'Packets', cell: (l) => fmtNumber(l.quality.packets), class: 'num' },
      { title: 'Expected', cell: (l) => fmtNumber(l.quality.expected), class: 'num' },
      { title: 'Lost', cell: (l) => (l.quality.lost === null ? '—' : h('span', {}, fmtNumber(l.quality.lost), ' ', badge(`${fmtNumber(l.quality.lossPercent, 2)} %`, lossTone(l.quality.lossPercent)))), class: 'num' },
      { title: 'Jitter', cell: (l) => (l.quality.jitterMs === null ? '—' : `${fmtNumber(l.quality.jitterMs, 1)} ms`), class: 'num' },
      { title: 'Max jitter', cell: (l) => (l.quality.maxJitterMs === null ? '—' : `${fmtNumber(l.quality.maxJitterMs, 1)} ms`), class: 'num' },
      { title: 'Other', cell: (l) => [l.quality.duplicated ? `${l.quality.duplicated} dup ` : '', l.quality.outOfOrder ? `${l.quality.outOfOrder} reordered ` : '', l.quality.late ? `${l.quality.late} late` : ''].join('').trim() || '—' },
      { title: 'DTMF', cell: (l) => (l.dtmf && l.dtmf.length ? l.dtmf.map((d) => d.digit).join('') : '—') },
      { title: 'State', cell: (l) => badge(l.state, l.state === 'completed' ? 'ok' : 'info') },
    ], legs, { empty: 'No audio legs recorded yet.' }));
}

/** A one-line summary of a timeline event's detail, with the full JSON on demand. */
function timelineDetail(e) {
  const d = e.detail && typeof e.detail === 'object' ? e.detail : {};
  const parts = [];
  if (d.reason) parts.push(String(d.reason));
  if (d.failureStatus) parts.push(`status ${d.failureStatus}`);
  if (d.endedBy) parts.push(`ended by ${String(d.endedBy).toLowerCase()}`);
  if (d.leg && d.leg.legId) parts.push(`leg ${d.leg.legId}`);
  if (d.error) parts.push(String(d.error));
  if (d.conversion && d.conversion.path) parts.push(d.conversion.path);
  return h('details', { class: 'timeline-detail' }, h('summary', {}, parts.join(' · ') || 'details'), h('pre', {}, JSON.stringify(e.detail, null, 2)));
}

function timelineCard(events) {
  return h('section', { class: 'card' }, h('h2', {}, 'Timeline'),
    events.length === 0 ? h('p', { class: 'empty' }, 'No events.') : h('ol', { class: 'timeline' }, events.map((e) => h('li', { class: `tl tl-${e.topic.includes('record') ? 'rec' : 'call'}` },
      h('span', { class: 'tl-time mono' }, fmtClock(e.captureTime)),
      h('span', { class: 'tl-kind' }, e.kind),
      h('span', { class: 'tl-source muted' }, `${e.topic} · ${e.instanceId}`),
      timelineDetail(e)))));
}

/** Play/pause, skip, speed and time for an <audio> element (the waveform above seeks). */
function transport(audio, durationMs) {
  const play = h('button', { class: 'primary play', type: 'button', 'aria-label': 'Play' }, '▶ Play');
  const time = h('span', { class: 'time num' }, `0:00 / ${fmtDuration(durationMs)}`);
  const speed = select([['0.75', '0.75×'], ['1', '1×'], ['1.25', '1.25×'], ['1.5', '1.5×'], ['2', '2×']], '1', { 'aria-label': 'Playback speed' });
  const volume = h('input', { type: 'range', min: '0', max: '1', step: '0.05', value: '1', 'aria-label': 'Volume' });
  const skip = (s) => { audio.currentTime = Math.max(0, Math.min(audio.duration || 0, audio.currentTime + s)); };
  play.addEventListener('click', () => { if (audio.paused) audio.play().catch((e) => toast(`Cannot play: ${e.message}`, 'bad')); else audio.pause(); });
  audio.addEventListener('play', () => { play.textContent = '❚❚ Pause'; play.setAttribute('aria-label', 'Pause'); });
  audio.addEventListener('pause', () => { play.textContent = '▶ Play'; play.setAttribute('aria-label', 'Play'); });
  audio.addEventListener('ended', () => { play.textContent = '▶ Play'; });
  audio.addEventListener('error', () => { time.textContent = 'The recording could not be loaded'; time.classList.add('form-error'); });
  const showTime = () => { time.textContent = `${fmtDuration(audio.currentTime * 1000)} / ${fmtDuration(Number.isFinite(audio.duration) ? audio.duration * 1000 : durationMs)}`; };
  for (const ev of ['timeupdate', 'loadedmetadata', 'seeked']) audio.addEventListener(ev, showTime);
  speed.addEventListener('change', () => { audio.playbackRate = Number(speed.value); });
  volume.addEventListener('input', () => { audio.volume = Number(volume.value); });
  return h('div', { class: 'transport' }, play,
    h('button', { type: 'button', onclick: () => skip(-5), title: 'Back 5 seconds' }, '↺ 5 s'),
    h('button', { type: 'button', onclick: () => skip(5), title: 'Forward 5 seconds' }, '5 s ↻'),
    time, h('span', { class: 'spacer' }),
    h('label', { class: 'volume' }, h('span', { class: 'muted' }, 'Speed'), speed),
    h('label', { class: 'volume' }, h('span', { class: 'muted' }, 'Volume'), volume));
}

function playerCard(callId, call, recording, cleanups) {
  const card = h('section', { class: 'card player-card' }, h('h2', {}, 'Recording'));
  if (!recording) {
    card.append(h('p', { class: 'empty' }, IN_PROGRESS.includes(call.state) ? 'The call is in progress; its recording is made when it ends.' : 'This call has no recording.'));
    return card;
  }
  if (!recording.url) {
    card.append(h('p', { class: recording.state === 'failed' ? 'form-error' : 'empty' },
      recording.state === 'failed' ? `Recording failed: ${recording.error || 'unknown error'}` : 'The recording is being converted…'));
    return card;
  }
  const audio = h('audio', { preload: 'metadata', src: recording.url, class: 'player' });
  const wave = h('div', { class: 'waveform-slot' }, h('div', { class: 'waveform-placeholder muted' }, 'Loading waveform…'));
  const download = h('a', { class: 'button', href: `${recording.url}?download=1`, download: `${callId}.wav` }, '⬇ Download WAV');
  card.append(wave, transport(audio, recording.durationMs), audio,
    h('div', { class: 'player-foot' },
      h('p', { class: 'muted small' }, [
        recording.channels === 2 ? 'Stereo: caller left, callee right' : recording.channels === 1 ? 'Mono mix' : '',
        recording.sampleRate ? `${recording.sampleRate / 1000} kHz` : '', recording.durationMs !== null ? fmtDuration(recording.durationMs) : '',
        recording.bytes !== null ? `${fmtNumber(recording.bytes / 1024, 0)} KiB` : '', recording.format || '',
        'playing and downloading are recorded in the audit trail',
      ].filter(Boolean).join(' · ')),
      download));
  const points = Math.min(2000, Math.max(200, Math.round((document.querySelector('main')?.clientWidth || 1000))));
  api.get(`/api/calls/${enc(callId)}/waveform?points=${points}`).then((data) => {
    const view = waveformView(audio, data, data.channels === 2 ? ['caller', 'callee'] : []);
    cleanups.push(view.stop);
    mount(wave, view.canvas);
  }, (e) => mount(wave, h('p', { class: 'muted' }, `No waveform: ${e.message}`)));
  cleanups.push(() => { audio.pause(); });
  return card;
}

export async function renderCallDetail(el, ctx, callId) {
  const cleanups = [];
  let live = null;
  let poll = 0;
  let lastKey = '';
  const canMonitor = ctx.me.role === 'admin' || ctx.me.role === 'supervisor';
  const back = h('a', { class: 'button', href: '#/calls' }, '← Calls');

  const render = async (first) => {
    let detail;
    try {
      detail = await api.get(`/api/calls/${enc(callId)}`);
    } catch (e) {
      if (first) mount(el, pageHeader('Call', back), errorPanel(e, e.status === 403 ? 'You may not open this call' : undefined));
      return null;
    }
    const { call, legs, recording, timeline } = detail;
    const inProgress = IN_PROGRESS.includes(call.state);
    const key = `${call.state}|${recording ? `${recording.state}|${recording.url}` : ''}`;
    if (!first && (key === lastKey || (live && live.listening))) {
      // Same stage (or someone is listening): refresh only the figures, never the players.
      mount(el.querySelector('.legs-slot'), legsCard(legs));
      mount(el.querySelector('.timeline-slot'), timelineCard(timeline));
      mount(el.querySelector('.state-slot'), stateBadge(call.state));
      return call;
    }
    lastKey = key;
    for (const c of cleanups.splice(0)) c();
    const header = pageHeader(`${partyLabel(call.caller)} → ${partyLabel(call.callee)}`, back);
    const summary = h('section', { class: 'card summary' },
      h('div', { class: 'summary-main' },
        h('span', { class: 'state-slot' }, stateBadge(call.state)),
        badge(String(call.direction).toLowerCase(), 'muted'),
        call.hasRecording ? badge('recorded', 'ok') : null),
      dl([
        ['Call id', h('span', { class: 'mono' }, call.callId)],
        ['Started', fmtTime(call.startedAt)],
        ['Answered', fmtTime(call.answeredAt)],
        ['Ended', fmtTime(call.endedAt)],
        ['Talk time', fmtDuration(call.durationMs)],
        ['Ended by', call.endedBy ? String(call.endedBy).toLowerCase() : call.failureStatus ? `failed (${call.failureStatus})` : null],
        ['Reason', call.reason],
        ['Recorded user', call.recordedUserId],
        ['Codecs', (call.codecs || []).join(', ')],
        ['Source', `${String(call.source).toLowerCase()} · ${call.callControlInstance}`],
      ]));
    const parts = [header, summary];
    if (inProgress && canMonitor) {
      live = live || livePlayer(callId);
      cleanups.push(() => live && live.stop());
      parts.push(h('section', { class: 'card live-card' }, h('h2', {}, 'Live monitoring'),
        h('p', { class: 'muted small' }, 'Both directions mixed, about two seconds behind the call. Listening is recorded in the audit trail.'), live.el));
    }
    parts.push(playerCard(callId, call, recording, cleanups), partiesCard(call), h('div', { class: 'legs-slot' }, legsCard(legs)), h('div', { class: 'timeline-slot' }, timelineCard(timeline)));
    mount(el, ...parts);
    if (inProgress && ctx.params.get('listen') === '1' && live && !live.listening) live.start();
    return call;
  };

  const call = await render(true);
  // While the call is in progress (or its recording is still being made), keep the page current.
  if (call) {
    poll = setInterval(async () => {
      const c = await render(false);
      if (c && !IN_PROGRESS.includes(c.state) && c.hasRecording && el.querySelector('audio.player')) clearInterval(poll);
    }, 3000);
    if (!IN_PROGRESS.includes(call.state) && el.querySelector('audio.player')) { clearInterval(poll); poll = 0; }
  }
  return () => { clearInterval(poll); for (const c of cleanups.splice(0)) c(); if (live) live.stop(); };
}
