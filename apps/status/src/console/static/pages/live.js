import { api, enc, query } from '../api.js';
import { h, mount, table, fmtTime, fmtDuration, stateBadge, errorPanel, pageHeader } from '../ui.js';
import { partyLabel } from './calls.js';

/** Calls in progress (ringing or answered), refreshed every 3 s, each with a Listen button. */
export async function renderLive(el) {
  const slot = h('div', { class: 'card' });
  mount(el, pageHeader('Live calls'), h('p', { class: 'muted' }, 'Calls in progress that you may monitor. Listening is recorded in the audit trail.'), slot);
  const load = async () => {
    let items;
    try {
      // The newest calls of the last 12 hours; those not ended are in progress.
      const page = await api.get(`/api/calls${query({ from: new Date(Date.now() - 12 * 3600e3).toISOString(), limit: 200 })}`);
      items = page.items.filter((c) => c.state === 'ringing' || c.state === 'answered');
    } catch (e) {
      mount(slot, errorPanel(e));
      return;
    }
    mount(slot, table([
      { title: 'Started', cell: (c) => fmtTime(c.startedAt), class: 'nowrap' },
      { title: 'For', cell: (c) => fmtDuration(Date.now() - new Date(c.answeredAt || c.startedAt).getTime()), class: 'num' },
      { title: 'Caller', cell: (c) => partyLabel(c.caller) },
      { title: 'Callee', cell: (c) => partyLabel(c.callee) },
      { title: 'User', cell: (c) => c.recordedUserId || '—' },
      { title: 'State', cell: (c) => stateBadge(c.state) },
      { title: '', cell: (c) => h('a', { class: 'button primary small', href: `#/calls/${enc(c.callId)}?listen=1` }, '🎧 Listen') },
    ], items, { rowHref: (c) => `#/calls/${enc(c.callId)}`, empty: 'No call is in progress.' }));
  };
  await load();
  const timer = setInterval(load, 3000);
  return () => clearInterval(timer);
}
