// Listening to a call while it happens: an <audio> element on GET /api/calls/:id/live, an endless
// WAV (PCM16, 8 kHz mono, both directions mixed) that the server writes in real time. A plain
// media element plays it in every current browser, with the session cookie as its credential.
import { h, mount } from './ui.js';
import { enc } from './api.js';

/** A live-listen control for one call; `stop()` hangs up (the server stops when the request ends). */
export function livePlayer(callId) {
  const status = h('span', { class: 'live-status muted' }, 'Not listening');
  const elapsed = h('span', { class: 'live-elapsed num' });
  const volume = h('input', { type: 'range', min: '0', max: '1', step: '0.05', value: '1', 'aria-label': 'Volume' });
  const button = h('button', { class: 'primary', type: 'button' }, '🎧 Listen live');
  const slot = h('div', { class: 'live-audio' });
  let audio = null;
  let timer = 0;
  let startedAt = 0;

  const setStatus = (text, tone) => { status.textContent = text; status.className = `live-status ${tone || 'muted'}`; };
  const stop = (text = 'Not listening') => {
    if (audio) { audio.pause(); audio.removeAttribute('src'); audio.load(); audio.remove(); audio = null; }
    clearInterval(timer);
    elapsed.textContent = '';
    button.textContent = '🎧 Listen live';
    button.classList.add('primary');
    setStatus(text);
  };
  const start = () => {
    audio = h('audio', { preload: 'none', class: 'live-element' });
    audio.volume = Number(volume.value);
    audio.addEventListener('playing', () => { setStatus('● Listening', 'live-on'); if (!startedAt) startedAt = Date.now(); });
    audio.addEventListener('waiting', () => setStatus('Buffering…', 'muted'));
    audio.addEventListener('ended', () => stop('The call has ended'));
    audio.addEventListener('error', () => {
      const code = audio && audio.error ? audio.error.code : 0;
      stop(code === 4 ? 'Live audio is not available for this call (it may have ended, or you may not monitor it)' : 'The live stream stopped');
    });
    audio.src = `/api/calls/${enc(callId)}/live`;
    mount(slot, audio);
    startedAt = 0;
    setStatus('Connecting…');
    button.textContent = '■ Stop';
    button.classList.remove('primary');
    timer = setInterval(() => {
      if (startedAt) { const s = Math.floor((Date.now() - startedAt) / 1000); elapsed.textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`; }
    }, 500);
    audio.play().catch((e) => { if (audio) stop(`Could not play: ${e.message}`); });
  };
  button.addEventListener('click', () => (audio ? stop() : start()));
  volume.addEventListener('input', () => { if (audio) audio.volume = Number(volume.value); });
  const el = h('div', { class: 'live-player' }, button, status, elapsed, h('label', { class: 'volume' }, h('span', { class: 'muted' }, 'Volume'), volume), slot);
  return { el, start, stop: () => stop(), get listening() { return audio !== null; } };
}
