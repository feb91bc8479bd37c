import { api, query, enc } from '../api.js';
import { h, mount, table, fmtTime, fmtDuration, stateBadge, badge, errorPanel, select, localInputToIso, isoToLocalInput, pageHeader } from '../ui.js';

/** How a party reads in a list: "Alice Smith (1001)" or the number or the URI. */
export function partyLabel(p) {
  if (!p) return '—';
  const id = p.user || p.uri;
  return p.name ? `${p.name} (${id})` : id;
}

const DIRECTIONS = [['', 'Any direction'], ['INBOUND', 'Inbound'], ['OUTBOUND', 'Outbound'], ['INTERNAL', 'Internal'], ['UNKNOWN', 'Unknown']];
const RECORDING = [['', 'With or without recording'], ['true', 'Recorded'], ['false', 'Not recorded']];
const RANGES = [['', 'Any time'], ['1h', 'Last hour'], ['24h', 'Last 24 hours'], ['7d', 'Last 7 days'], ['30d', 'Last 30 days'], ['custom', 'Custom range…']];
const RANGE_MS = { '1h': 3600e3, '24h': 86400e3, '7d': 7 * 86400e3, '30d': 30 * 86400e3 };
const PAGE_SIZE = 25;

/** The search filters live in the URL's hash (#/calls?user=...), so a search can be bookmarked and reloaded. */
function filtersFrom(params) {
  const f = {};
  for (const k of ['range', 'from', 'to', 'user', 'number', 'direction', 'minSec', 'maxSec', 'hasRecording']) if (params.get(k)) f[k] = params.get(k);
  return f;
}

function apiQuery(f, cursor) {
  let from = f.from;
  let to = f.to;
  if (f.range && RANGE_MS[f.range]) { from = new Date(Date.now() - RANGE_MS[f.range]).toISOString(); to = undefined; }
  return query({
    from, to, user: f.user, number: f.number, direction: f.direction,
    minDurationMs: f.minSec ? Math.round(Number(f.minSec) * 1000) : undefined,
    maxDurationMs: f.maxSec ? Math.round(Number(f.maxSec) * 1000) : undefined,
    hasRecording: f.hasRecording, limit: PAGE_SIZE, cursor,
  });
}

export async function renderCalls(el, ctx) {
  const f = filtersFrom(ctx.params);
  const range = select(RANGES, f.range || (f.from || f.to ? 'custom' : ''), { name: 'range' });
  const from = h('input', { type: 'datetime-local', name: 'from', value: isoToLocalInput(f.from) });
  const to = h('input', { type: 'datetime-local', name: 'to', value: isoToLocalInput(f.to) });
  const custom = h('div', { class: 'custom-range' }, from, h('span', { class: 'muted' }, 'to'), to);
  const showCustom = () => { custom.hidden = range.value !== 'custom'; };
  range.addEventListener('change', showCustom);
  showCustom();
  const user = h('input', { name: 'user', placeholder: 'User id', value: f.user || '' });
  const number = h('input', { name: 'number', placeholder: 'Number or URI', value: f.number || '' });
  const direction = select(DIRECTIONS, f.direction, { name: 'direction' });
  const minSec = h('input', { name: 'minSec', type: 'number', min: '0', step: '1', placeholder: 'min s', value: f.minSec || '', class: 'narrow' });
  const maxSec = h('input', { name: 'maxSec', type: 'number', min: '0', step: '1', placeholder: 'max s', value: f.maxSec || '', class: 'narrow' });
  const hasRecording = select(RECORDING, f.hasRecording, { name: 'hasRecording' });

  const form = h('form', { class: 'filters', onsubmit: (ev) => {
    ev.preventDefault();
    const next = {
      range: range.value === 'custom' ? undefined : range.value, from: range.value === 'custom' ? localInputToIso(from.value) : undefined,
      to: range.value === 'custom' ? localInputToIso(to.value) : undefined, user: user.value.trim(), number: number.value.trim(),
      direction: direction.value, minSec: minSec.value, maxSec: maxSec.value, hasRecording: hasRecording.value,
    };
    location.hash = `#/calls${query(next)}`;
  } },
  h('div', { class: 'filter-row' },
    h('label', { class: 'filter' }, h('span', {}, 'Time'), range), custom,
    h('label', { class: 'filter' }, h('span', {}, 'User'), user),
    h('label', { class: 'filter' }, h('span', {}, 'Number'), number),
    h('label', { class: 'filter' }, h('span', {}, 'Direction'), direction),
    h('label', { class: 'filter' }, h('span', {}, 'Duration (s)'), h('div', { class: 'pair' }, minSec, h('span', { class: 'muted' }, '–'), maxSec)),
    h('label', { class: 'filter' }, h('span', {}, 'Recording'), hasRecording),
    h('div', { class: 'filter-buttons' },
      h('button', { class: 'primary', type: 'submit' }, 'Search'),
      h('button', { type: 'button', onclick: () => { location.hash = '#/calls'; } }, 'Clear'))));

  const results = h('div', { class: 'card' });
  const pager = h('div', { class: 'pager' });
  mount(el, pageHeader('Calls'), form, results, pager);

  // Cursor paging: the cursors of the pages seen so far, so "Newer" goes back without offsets.
  const cursors = [undefined];
  let pageIndex = 0;
  const load = async () => {
    mount(results, h('p', { class: 'muted loading' }, 'Searching…'));
    let page;
    try {
      page = await api.get(`/api/calls${apiQuery(f, cursors[pageIndex])}`);
    } catch (e) {
      mount(results, errorPanel(e));
      mount(pager);
      return;
    }
    cursors[pageIndex + 1] = page.nextCursor || undefined;
    mount(results, table([
      { title: 'Started', cell: (c) => fmtTime(c.startedAt), class: 'nowrap' },
      { title: 'Direction', cell: (c) => badge(String(c.direction || '').toLowerCase(), 'muted') },
      { title: 'Caller', cell: (c) => partyLabel(c.caller) },
      { title: 'Callee', cell: (c) => partyLabel(c.callee) },
      { title: 'User', cell: (c) => c.recordedUserId || '—' },
      { title: 'Duration', cell: (c) => fmtDuration(c.durationMs), class: 'num' },
      { title: 'State', cell: (c) => stateBadge(c.state) },
      { title: 'Recording', cell: (c) => (c.hasRecording ? badge('▶ recorded', 'ok') : h('span', { class: 'muted' }, '—')) },
    ], page.items, { rowHref: (c) => `#/calls/${enc(c.callId)}`, empty: 'No calls match these filters.' }));
    mount(pager,
      h('button', { type: 'button', disabled: pageIndex === 0 ? true : undefined, onclick: () => { pageIndex--; load(); } }, '← Newer'),
      h('span', { class: 'muted' }, `Page ${pageIndex + 1} · ${page.items.length} call${page.items.length === 1 ? '' : 's'}`),
      h('button', { type: 'button', disabled: page.nextCursor ? undefined : true, onclick: () => { pageIndex++; load(); } }, 'Older →'));
  };
  await load();
}
