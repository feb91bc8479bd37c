import { api, itemsOf } from '../api.js';
import { h, mount, table, fmtAgo, fmtTime, fmtNumber, badge, errorPanel, pageHeader } from '../ui.js';

const KIND_ORDER = ['call-control', 'rtp-collector', 'recorder', 'converter', 'status'];
const STATE_TONES = { RUNNING: 'ok', STARTING: 'info', STOPPING: 'warn', STOPPED: 'muted', FAILED: 'bad' };

/** Packets the kernel dropped before the instance's capture read them: every capture.*drop* counter (null when it has none). */
function captureDrops(s) {
  const names = Object.keys(s.counters || {}).filter((k) => k.startsWith('capture.') && /drop/i.test(k));
  return names.length === 0 ? null : names.reduce((n, k) => n + Number(s.counters[k] || 0), 0);
}

/** Every instance of every service kind (qm.services.v1 heartbeats), refreshed every 5 s. */
export async function renderServices(el) {
  const slot = h('div', {});
  const stamp = h('span', { class: 'muted small' });
  mount(el, pageHeader('Services', stamp), slot);
  const load = async () => {
    let list;
    try {
      list = itemsOf(await api.get('/api/services'));
    } catch (e) {
      mount(slot, errorPanel(e));
      return;
    }
    stamp.textContent = `Updated ${fmtTime(Date.now())}`;
    const kinds = [...new Set([...KIND_ORDER, ...list.map((s) => s.serviceKind)])];
    const healthyCount = list.filter((s) => s.healthy).length;
    mount(slot,
      h('div', { class: 'tiles' }, kinds.map((k) => {
        const of = list.filter((s) => s.serviceKind === k);
        const ok = of.filter((s) => s.healthy).length;
        return h('div', { class: `tile ${of.length === 0 ? 'tile-none' : ok === of.length ? 'tile-ok' : ok === 0 ? 'tile-bad' : 'tile-warn'}` },
          h('div', { class: 'tile-kind' }, k), h('div', { class: 'tile-count' }, `${ok}/${of.length}`), h('div', { class: 'muted small' }, 'healthy'));
      })),
      h('section', { class: 'card' }, h('h2', {}, `Instances (${healthyCount} of ${list.length} healthy)`),
        table([
          { title: '', cell: (s) => h('span', { class: `dot ${s.healthy ? 'dot-ok' : 'dot-bad'}`, title: s.healthy ? 'healthy' : 'not healthy' }) },
          { title: 'Kind', cell: (s) => s.serviceKind, class: 'nowrap' },
          { title: 'Instance', cell: (s) => h('span', { class: 'mono small' }, s.instanceId) },
          { title: 'Host', cell: (s) => `${s.host}${s.pid ? ` · pid ${s.pid}` : ''}`, class: 'nowrap' },
          { title: 'Version', cell: (s) => s.version },
          { title: 'State', cell: (s) => badge(String(s.state).toLowerCase(), STATE_TONES[s.state] || 'muted') },
          { title: 'Lag', cell: (s) => fmtNumber(s.lag), class: 'num' },
          { title: 'Capture drops', cell: (s) => { const d = captureDrops(s); return d === null ? '—' : d > 0 ? badge(fmtNumber(d), 'bad') : '0'; }, class: 'num' },
          { title: 'Last heartbeat', cell: (s) => h('span', { title: fmtTime(s.lastHeartbeatAt) }, fmtAgo(s.lastHeartbeatAt)) },
          { title: 'Healthy', cell: (s) => (s.healthy ? badge('healthy', 'ok') : badge('unhealthy', 'bad')) },
          { title: 'Assignments', cell: (s) => h('span', { class: 'small' }, (s.assignments || []).join(', ') || '—') },
        ], [...list].sort((a, b) => KIND_ORDER.indexOf(a.serviceKind) - KIND_ORDER.indexOf(b.serviceKind) || String(a.instanceId).localeCompare(b.instanceId)),
        { empty: 'No instance has sent a heartbeat yet.' })));
  };
  await load();
  const timer = setInterval(load, 5000);
  return () => clearInterval(timer);
}
