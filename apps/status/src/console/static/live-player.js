// Listening to a call while it happens. GET /api/calls/:id/live answers an endless WAV (PCM16,
// 8 kHz mono, both directions mixed) written in real time. An <audio> element would play it, but
// Chromium buffers such a stream for many seconds before it starts (its media cache reads large
// blocks), so the console reads the stream with fetch() and plays each chunk through WebAudio,
// scheduled back to back with 0.15 s of jitter buffer (the server writes a chunk every 100 ms, over
// loopback or a LAN): the call is heard about the rtp-collector's batch window + EARSHOT_LIVE_DELAY_MS
// + 0.25 s after it happens (see apps/status/src/live/README.md).
import { h } from './ui.js';
import { enc } from './api.js';

const JITTER_S = 0.15;
const WAV_HEADER = 44;

/** A live-listen control for one call; `stop()` hangs up (the server stops when the request ends). */
export function livePlayer(callId) {
  const status = h('span', { class: 'live-status muted' }, 'Not listening');
  const elapsed = h('span', { class: 'live-elapsed num' });
  const meter = h('span', { class: 'level-fill' });
  const level = h('span', { class: 'level', title: 'Audio level', 'aria-hidden': 'true' }, meter);
  const volume = h('input', { type: 'range', min: '0', max: '1', step: '0.05', value: '1', 'aria-label': 'Volume' });
  const button = h('button', { class: 'primary', type: 'button' }, '🎧 Listen live');
  const el = h('div', { class: 'live-player', 'data-state': 'idle', 'data-played': '0', 'data-level': '0' }, button, status, level, elapsed,
    h('label', { class: 'volume' }, h('span', { class: 'muted' }, 'Volume'), volume));
  let session = null;

  const setStatus = (text, tone) => { status.textContent = text; status.className = `live-status ${tone || 'muted'}`; };
  const setState = (state) => { el.dataset.state = state; };

  const stop = (text = 'Not listening') => {
    if (!session) return;
    const s = session;
    session = null;
    s.abort.abort();
    clearInterval(s.timer);
    s.ctx.close().catch(() => {});
    elapsed.textContent = '';
    meter.style.width = '0';
    button.textContent = '🎧 Listen live';
    button.classList.add('primary');
    setStatus(text);
    setState('idle');
  };

  const start = async () => {
    if (session) return;
    const ctx = new AudioContext();
    const gain = ctx.createGain();
    gain.gain.value = Number(volume.value);
    gain.connect(ctx.destination);
    const s = { ctx, gain, abort: new AbortController(), timer: 0, playAt: 0, startedAt: -1, ended: false };
    session = s;
    button.textContent = '■ Stop';
    button.classList.remove('primary');
    setStatus('Connecting…');
    setState('connecting');
    // Played time and end of the call, from the audio clock.
    s.timer = setInterval(() => {
      if (s.startedAt < 0) return;
      const played = Math.max(0, Math.min(ctx.currentTime, s.playAt) - s.startedAt);
      el.dataset.played = played.toFixed(2);
      const sec = Math.floor(played);
      elapsed.textContent = `${Math.floor(sec / 60)}:${String(sec % 60).padStart(2, '0')}`;
      if (s.ended && ctx.currentTime >= s.playAt) stop('The call has ended');
    }, 250);
    try {
      await ctx.resume();
      const res = await fetch(`/api/calls/${enc(callId)}/live`, { credentials: 'same-origin', signal: s.abort.signal });
      if (!res.ok) {
        let message = `${res.status} ${res.statusText}`;
        try { message = `${res.status}: ${(await res.json()).error}`; } catch { /* not JSON */ }
        stop(`Cannot listen (${message})`);
        return;
      }
      const reader = res.body.getReader();
      let header = new Uint8Array(0);
      let rate = 8000;
      let carry = null; // an odd byte left from the previous chunk
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        if (session !== s) return;
        let bytes = value;
        if (header.length < WAV_HEADER) {
          const need = WAV_HEADER - header.length;
          header = concat(header, bytes.subarray(0, need));
          bytes = bytes.subarray(need);
          if (header.length === WAV_HEADER) rate = new DataView(header.buffer).getUint32(24, true) || 8000;
        }
        if (carry) { bytes = concat(carry, bytes); carry = null; }
        if (bytes.length % 2 === 1) { carry = bytes.slice(bytes.length - 1); bytes = bytes.subarray(0, bytes.length - 1); }
        if (bytes.length === 0) continue;
        schedule(s, bytes, rate);
      }
      s.ended = true;
    } catch (e) {
      if (session === s) stop(e.name === 'AbortError' ? 'Not listening' : `The live stream stopped (${e.message})`);
    }
  };

  /** Plays PCM16 bytes right after what is already scheduled (or after the jitter buffer, on an underrun). */
  function schedule(s, bytes, rate) {
    const n = bytes.length / 2;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const buffer = s.ctx.createBuffer(1, n, rate);
    const ch = buffer.getChannelData(0);
    let sum = 0;
    for (let i = 0; i < n; i++) { const v = view.getInt16(i * 2, true) / 32768; ch[i] = v; sum += v * v; }
    const src = s.ctx.createBufferSource();
    src.buffer = buffer;
    src.connect(s.gain);
    const now = s.ctx.currentTime;
    if (s.playAt < now + 0.02) s.playAt = now + JITTER_S;
    if (s.startedAt < 0) { s.startedAt = s.playAt; setStatus('● Listening', 'live-on'); setState('playing'); }
    src.start(s.playAt);
    s.playAt += n / rate;
    const rms = Math.sqrt(sum / n);
    el.dataset.level = rms.toFixed(3);
    meter.style.width = `${Math.min(100, Math.round(Math.sqrt(rms) * 140))}%`;
  }

  button.addEventListener('click', () => (session ? stop() : start()));
  volume.addEventListener('input', () => { if (session) session.gain.gain.value = Number(volume.value); });
  return { el, start, stop: () => stop(), get listening() { return session !== null; } };
}

function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
