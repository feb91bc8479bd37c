import { api } from '../api.js';
import { h, mount } from '../ui.js';

/** The sign-in page; onSignedIn(me) once the session cookie is set. */
export function renderLogin(root, onSignedIn, next) {
  const username = h('input', { name: 'username', autocomplete: 'username', required: true, autofocus: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const message = h('p', { class: 'form-error', role: 'alert' });
  const submit = h('button', { class: 'primary', type: 'submit' }, 'Sign in');
  const form = h('form', { class: 'login-card', onsubmit: async (ev) => {
    ev.preventDefault();
    message.textContent = '';
    submit.disabled = true;
    try {
      await api.post('/api/auth/login', { username: username.value.trim(), password: password.value });
      onSignedIn(await api.get('/api/auth/me'));
    } catch (e) {
      message.textContent = e.status === 401 ? 'Wrong user name or password.' : e.message;
      password.select();
    } finally {
      submit.disabled = false;
    }
  } },
  h('div', { class: 'login-brand' }, h('img', { src: '/console/icon.svg', alt: '' }), h('div', {}, h('h1', {}, 'Earshot'), h('p', {}, 'Call recording and quality monitoring'))),
  next ? h('p', { class: 'muted' }, 'Sign in to continue.') : null,
  h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'User name'), username),
  h('label', { class: 'field' }, h('span', { class: 'field-label' }, 'Password'), password),
  message,
  submit);
  mount(root, h('div', { class: 'login' }, form));
  username.focus();
}
