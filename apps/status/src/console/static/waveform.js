// The recording's waveform on a canvas: one lane per channel (stereo: caller above, callee below),
// the played part in a stronger colour, click to seek.
import { h } from './ui.js';

const LANE_COLOURS = [['#9bb8d8', '#1f5f9e'], ['#a8d5b9', '#23804a']];

/** A waveform view bound to an <audio> element; `peaks` interleaved by slice as the API gives them. */
export function waveformView(audio, data, labels = []) {
  const canvas = h('canvas', { class: 'waveform', role: 'img', 'aria-label': 'Waveform of the recording; click to seek' });
  const channels = Math.max(1, data.channels || 1);
  const points = Math.floor(data.peaks.length / channels);
  const draw = () => {
    const dpr = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 800;
    const height = canvas.clientHeight || 120;
    if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
    }
    const g = canvas.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, width, height);
    const laneH = height / channels;
    const duration = audio.duration && Number.isFinite(audio.duration) ? audio.duration : (data.durationMs || 0) / 1000;
    const played = duration > 0 ? Math.min(1, audio.currentTime / duration) : 0;
    const barW = width / Math.max(1, points);
    for (let c = 0; c < channels; c++) {
      const mid = laneH * c + laneH / 2;
      const [light, strong] = LANE_COLOURS[c % LANE_COLOURS.length];
      g.fillStyle = '#e4e9f0';
      g.fillRect(0, mid - 0.5, width, 1);
      for (let i = 0; i < points; i++) {
        const peak = Math.max(0, Math.min(1, data.peaks[i * channels + c] || 0));
        const bh = Math.max(1, peak * (laneH / 2 - 3));
        g.fillStyle = i / points < played ? strong : light;
        g.fillRect(i * barW, mid - bh, Math.max(1, barW - (barW > 3 ? 1 : 0)), bh * 2);
      }
      if (labels[c]) {
        g.fillStyle = '#5b6675';
        g.font = '11px system-ui, sans-serif';
        g.fillText(labels[c], 6, laneH * c + 13);
      }
    }
    g.fillStyle = '#d9480f';
    g.fillRect(Math.round(played * width) - 1, 0, 2, height);
  };
  canvas.addEventListener('click', (ev) => {
    const rect = canvas.getBoundingClientRect();
    const duration = audio.duration && Number.isFinite(audio.duration) ? audio.duration : (data.durationMs || 0) / 1000;
    if (duration > 0) audio.currentTime = ((ev.clientX - rect.left) / rect.width) * duration;
    draw();
  });
  let frame = 0;
  const tick = () => { draw(); frame = audio.paused ? 0 : requestAnimationFrame(tick); };
  audio.addEventListener('play', () => { if (!frame) frame = requestAnimationFrame(tick); });
  for (const ev of ['timeupdate', 'seeked', 'loadedmetadata', 'pause']) audio.addEventListener(ev, draw);
  const resize = new ResizeObserver(draw);
  resize.observe(canvas);
  return { canvas, stop: () => { resize.disconnect(); cancelAnimationFrame(frame); } };
}
