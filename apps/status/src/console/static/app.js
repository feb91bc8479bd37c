// The Earshot console: a single page over the REST API, routed by the URL's hash
// (#/calls, #/calls/<id>, #/directory/<userId>, ...), so the server serves one file at `/`.
import { api, setUnauthorizedHandler } from './api.js';
import { h, mount, errorPanel } from './ui.js';
import { renderLogin } from './pages/login.js';
import { renderCalls } from './pages/calls.js';
import { renderCallDetail } from './pages/call-detail.js';
import { renderLive } from './pages/live.js';
import { renderDirectory, renderUserEditor } from './pages/directory.js';
import { renderConfig } from './pages/config.js';
import { renderServices } from './pages/services.js';
import { renderAccounts } from './pages/accounts.js';

/** The navigation, by role (docs/status-api.md): what each role may open. */
const NAV = [
  { href: '#/calls', label: 'Calls', roles: ['admin', 'supervisor', 'agent'] },
  { href: '#/live', label: 'Live', roles: ['admin', 'supervisor'] },
  { href: '#/directory', label: 'Directory', roles: ['admin', 'supervisor'] },
  { href: '#/config', label: 'Configuration', roles: ['admin'] },
  { href: '#/services', label: 'Services', roles: ['admin', 'supervisor'] },
  { href: '#/accounts', label: 'Accounts', roles: ['admin'] },
];

/** Routes: a pattern over the hash path, the roles allowed, and the page. */
const ROUTES = [
  { re: /^\/calls$/, roles: ['admin', 'supervisor', 'agent'], page: renderCalls },
  { re: /^\/calls\/(.+)$/, roles: ['admin', 'supervisor', 'agent'], page: renderCallDetail },
  { re: /^\/live$/, roles: ['admin', 'supervisor'], page: renderLive },
  { re: /^\/directory$/, roles: ['admin', 'supervisor'], page: renderDirectory },
  { re: /^\/directory\/new$/, roles: ['admin'], page: (el, ctx) => renderUserEditor(el, ctx, null) },
  { re: /^\/directory\/(.+)$/, roles: ['admin', 'supervisor'], page: (el, ctx, id) => renderUserEditor(el, ctx, id) },
  { re: /^\/config$/, roles: ['admin'], page: renderConfig },
  { re: /^\/config\/(.+)$/, roles: ['admin'], page: renderConfig },
  { re: /^\/services$/, roles: ['admin', 'supervisor'], page: renderServices },
  { re: /^\/accounts$/, roles: ['admin'], page: renderAccounts },
];

const root = document.getElementById('app');
const ctx = { me: null };
let cleanup = null;

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/calls';
  const [path, qs] = raw.split('?');
  return { path: path || '/calls', params: new URLSearchParams(qs || '') };
}

function shell(content) {
  const { path } = parseHash();
  const nav = NAV.filter((n) => n.roles.includes(ctx.me.role));
  return h('div', { class: 'shell' },
    h('header', { class: 'topbar' },
      h('a', { class: 'brand', href: '#/calls' }, h('img', { src: '/console/icon.svg', alt: '' }), h('span', {}, 'Earshot')),
      h('nav', { class: 'nav', 'aria-label': 'Main' }, nav.map((n) => h('a', { href: n.href, class: path.startsWith(n.href.slice(1)) ? 'active' : undefined }, n.label))),
      h('div', { class: 'who' },
        h('span', { class: 'who-name' }, ctx.me.username),
        h('span', { class: `role role-${ctx.me.role}` }, ctx.me.role),
        h('button', { class: 'link', type: 'button', onclick: logout }, 'Sign out'))),
    h('main', { class: 'content' }, content));
}

async function logout() {
  try { await api.post('/api/auth/logout'); } catch { /* the session may be gone already */ }
  ctx.me = null;
  location.hash = '#/login';
  route();
}

async function route() {
  if (cleanup) { try { cleanup(); } catch { /* a page's leftovers */ } cleanup = null; }
  const { path, params } = parseHash();
  if (path === '/login' || !ctx.me) {
    if (!ctx.me && path !== '/login') {
      try { ctx.me = await api.get('/api/auth/me'); } catch { ctx.me = null; }
    }
    if (!ctx.me || path === '/login') {
      if (ctx.me && path === '/login') { location.hash = '#/calls'; return; }
      const next = path === '/login' ? params.get('next') || '/calls' : path + (params.toString() ? `?${params}` : '');
      renderLogin(root, async (me) => { ctx.me = me; location.hash = `#${next}`; if (location.hash === `#${next}`) route(); }, path === '/login' ? null : next);
      return;
    }
  }
  const content = h('div', { class: 'page' });
  mount(root, shell(content));
  const match = ROUTES.map((r) => ({ r, m: r.re.exec(path) })).find((x) => x.m);
  if (!match) { mount(content, errorPanel({ status: 404, message: `There is no page ${path}.` })); return; }
  if (!match.r.roles.includes(ctx.me.role)) {
    mount(content, errorPanel({ status: 403, message: `A ${ctx.me.role} cannot open this page.` }));
    return;
  }
  const args = match.m.slice(1).map((s) => decodeURIComponent(s));
  try {
    const done = await match.r.page(content, { ...ctx, params }, ...args);
    if (typeof done === 'function') cleanup = done;
  } catch (e) {
    mount(content, errorPanel(e));
  }
}

setUnauthorizedHandler(() => {
  if (!ctx.me) return;
  ctx.me = null;
  const { path } = parseHash();
  location.hash = `#/login?next=${encodeURIComponent(path)}`;
});
window.addEventListener('hashchange', route);
route();
