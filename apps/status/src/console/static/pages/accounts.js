import { api, itemsOf } from '../api.js';
import { h, mount, table, fmtTime, badge, field, showFieldErrors, select, toast, pageHeader } from '../ui.js';

/** Console accounts (admin): who may sign in, with which role and directory user. */
export async function renderAccounts(el, ctx) {
  const list = itemsOf(await api.get('/api/accounts'));
  const errors = new Map();
  const general = h('p', { class: 'form-error', role: 'alert' });
  const username = h('input', { name: 'username', required: true, autocomplete: 'off' });
  const password = h('input', { name: 'password', type: 'password', required: true, autocomplete: 'new-password' });
  const role = select([['agent', 'Agent — their own calls'], ['supervisor', 'Supervisor — their team\'s calls, live'], ['admin', 'Admin — everything']], 'agent', { name: 'role' });
  const userId = h('input', { name: 'userId', placeholder: 'directory user id' });
  const create = h('button', { class: 'primary', type: 'submit' }, 'Create account');
  const form = h('form', { class: 'card form', onsubmit: async (ev) => {
    ev.preventDefault();
    create.disabled = true;
    try {
      await api.post('/api/accounts', { username: username.value.trim(), password: password.value, role: role.value, userId: userId.value.trim() || null });
      toast(`Account ${username.value.trim()} created`);
      renderAccounts(el, ctx);
    } catch (e) {
      showFieldErrors(errors, general, e);
    } finally {
      create.disabled = false;
    }
  } },
  h('h2', {}, 'New account'),
  h('div', { class: 'form-grid' },
    field('User name', username, 'username', errors), field('Password', password, 'password', errors),
    field('Role', role, 'role', errors), field('Directory user', userId, 'userId', errors, 'agents see this user\'s calls, supervisors this user\'s team')),
  general, h('div', { class: 'form-actions' }, create));
  mount(el, pageHeader('Accounts'),
    h('section', { class: 'card' }, table([
      { title: 'User name', cell: (a) => h('strong', {}, a.username) },
      { title: 'Role', cell: (a) => badge(a.role, a.role === 'admin' ? 'bad' : a.role === 'supervisor' ? 'info' : 'muted') },
      { title: 'Directory user', cell: (a) => a.userId || '—' },
      { title: 'Created', cell: (a) => fmtTime(a.createdAt) },
    ], list, { empty: 'No accounts.' })),
    form);
}
