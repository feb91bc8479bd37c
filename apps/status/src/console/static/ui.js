// Small DOM helpers shared by the pages: an element builder, formatting, tables, forms and errors.

/** h('div', {class: 'x', onclick}, child, ...): an element; strings become text (never HTML). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces an element's content. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** 2025-11-24 09:12:03 in the browser's time zone. */
export function fmtTime(value) {
  if (value === null || value === undefined || value === '') return '—';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** hh:mm:ss.mmm, for timelines. */
export function fmtClock(value) {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return '—';
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** 1:05 or 1:02:05 from milliseconds. */
export function fmtDuration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(Number(ms))) return '—';
  const total = Math.round(Number(ms) / 1000);
  const s = total % 60;
  const m = Math.floor(total / 60) % 60;
  const hrs = Math.floor(total / 3600);
  return hrs > 0 ? `${hrs}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/** "12 s ago", "3 min ago". */
export function fmtAgo(value) {
  const t = new Date(value).getTime();
  if (Number.isNaN(t)) return '—';
  const s = Math.round((Date.now() - t) / 1000);
  if (s < 0) return 'just now';
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 172800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

export function fmtNumber(n, digits = 0) {
  if (n === null || n === undefined || Number.isNaN(Number(n))) return '—';
  return Number(n).toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** A coloured label: tone is ok, warn, bad, info or muted. */
export function badge(text, tone = 'muted') {
  return h('span', { class: `badge badge-${tone}` }, text);
}

const STATE_TONES = { ringing: 'info', answered: 'ok', ended: 'muted', failed: 'bad' };
export function stateBadge(state) {
  const s = String(state || '').toLowerCase();
  return badge(s === 'ringing' || s === 'answered' ? `● ${s}` : s || '—', STATE_TONES[s] || 'muted');
}

/** A table: columns [{title, cell(row) → node|text, class}], rows; onRow(row) makes rows links. */
export function table(columns, rows, { onRow, empty = 'Nothing to show.', rowHref } = {}) {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h('table', { class: 'grid' },
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { class: c.class }, c.title)))),
    h('tbody', {}, rows.map((r) => {
      const tr = h('tr', { class: onRow || rowHref ? 'clickable' : undefined }, columns.map((c) => h('td', { class: c.class }, c.cell(r))));
      if (rowHref) {
        tr.addEventListener('click', (ev) => {
          if (ev.target.closest('a,button,input,select')) return;
          location.hash = rowHref(r);
        });
      } else if (onRow) tr.addEventListener('click', () => onRow(r));
      return tr;
    })));
}

/** An error panel: the status code and the API's message. */
export function errorPanel(err, title) {
  const status = err && err.status ? err.status : null;
  const heading = title || (status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : 'Something went wrong');
  return h('div', { class: 'panel panel-error', role: 'alert' },
    h('div', { class: 'panel-code' }, status ? String(status) : '!'),
    h('div', {}, h('h2', {}, heading), h('p', {}, err && err.message ? err.message : String(err))));
}

/** A toast at the bottom of the page. */
export function toast(text, tone = 'ok') {
  const el = h('div', { class: `toast toast-${tone}`, role: 'status' }, text);
  document.body.append(el);
  setTimeout(() => el.classList.add('toast-out'), 2600);
  setTimeout(() => el.remove(), 3200);
}

/**
 * A labelled form field whose error line fills from a 400's `fields` (by path): the form keeps a
 * map path → error element, see showFieldErrors.
 */
export function field(label, input, path, errors, hint) {
  const err = h('div', { class: 'field-error', 'data-path': path });
  if (errors && path) errors.set(path, err);
  return h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), input, hint ? h('span', { class: 'field-hint' }, hint) : null, err);
}

/** Shows a 400's field problems next to their inputs; the rest in `general`. */
export function showFieldErrors(errors, general, err) {
  for (const el of errors.values()) el.textContent = '';
  general.textContent = '';
  const unplaced = [];
  for (const f of (err && err.fields) || []) {
    const path = String(f.path);
    const el = errors.get(path) || errors.get(path.replace(/\[\d+\].*$/, '')) || errors.get(path.split('.')[0]);
    if (el) el.textContent = `${el.textContent ? `${el.textContent}; ` : ''}${f.message}`;
    else unplaced.push(`${f.path} ${f.message}`);
  }
  if (!err || !err.fields || err.fields.length === 0 || unplaced.length > 0) general.textContent = unplaced.length > 0 ? unplaced.join('; ') : err ? err.message : '';
}

/** "a, b,c" → ['a', 'b', 'c']. */
export function splitList(text) {
  return String(text || '').split(/[,\n]/).map((s) => s.trim()).filter(Boolean);
}

/** A <select> with options [[value, label]]. */
export function select(options, value, attrs = {}) {
  return h('select', attrs, options.map(([v, label]) => h('option', { value: v, selected: String(v) === String(value ?? '') ? true : undefined }, label)));
}

/** Value of a datetime-local input as ISO 8601 (UTC), or undefined. */
export function localInputToIso(value) {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** An ISO time as a datetime-local input value. */
export function isoToLocalInput(value) {
  if (!value) return '';
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function pageHeader(title, ...actions) {
  return h('div', { class: 'page-header' }, h('h1', {}, title), h('div', { class: 'page-actions' }, actions));
}
