import { api, enc, itemsOf } from '../api.js';
import { h, mount, table, fmtTime, badge, field, showFieldErrors, splitList, select, toast, pageHeader } from '../ui.js';

function ruleLabel(r) {
  if (!r) return '—';
  if (r.mode === 'ALWAYS') return badge('always', 'ok');
  if (r.mode === 'NEVER') return badge('never', 'muted');
  return badge(`${r.percentage} % of calls`, 'info');
}

/** Directory users: admins and supervisors see them, admins edit. */
export async function renderDirectory(el, ctx) {
  const isAdmin = ctx.me.role === 'admin';
  const list = itemsOf(await api.get('/api/directory/users'));
  const search = h('input', { type: 'search', placeholder: 'Filter by name, id, extension or team', class: 'wide' });
  const slot = h('div', { class: 'card' });
  const show = () => {
    const q = search.value.trim().toLowerCase();
    const rows = q ? list.filter((u) => [u.userId, u.displayName, u.team || '', ...u.extensions, ...u.sipUris].some((s) => s.toLowerCase().includes(q))) : list;
    mount(slot, table([
      { title: 'User', cell: (u) => h('div', {}, h('strong', {}, u.displayName), h('div', { class: 'muted small mono' }, u.userId)) },
      { title: 'Extensions', cell: (u) => u.extensions.join(', ') || '—' },
      { title: 'SIP URIs', cell: (u) => h('span', { class: 'small mono' }, u.sipUris.join(', ') || '—') },
      { title: 'Devices', cell: (u) => u.devices.map((d) => d.ip).join(', ') || '—' },
      { title: 'Team', cell: (u) => u.team || '—' },
      { title: 'Supervisor', cell: (u) => u.supervisorId || '—' },
      { title: 'Recording', cell: (u) => ruleLabel(u.recording) },
      { title: 'Updated', cell: (u) => h('span', { class: 'small muted' }, `${fmtTime(u.updatedAt)} by ${u.updatedBy}`) },
    ], rows, { rowHref: (u) => `#/directory/${enc(u.userId)}`, empty: list.length ? 'No user matches.' : 'The directory is empty.' }));
  };
  search.addEventListener('input', show);
  mount(el, pageHeader('Directory', isAdmin ? h('a', { class: 'button primary', href: '#/directory/new' }, '+ New user') : null),
    h('div', { class: 'toolbar' }, search, h('span', { class: 'muted' }, `${list.length} user${list.length === 1 ? '' : 's'}`)), slot);
  show();
}

function deviceRow(d, errors, i, onRemove) {
  const ip = h('input', { class: 'device-ip', placeholder: '10.0.0.21', value: d.ip || '' });
  const description = h('input', { class: 'device-description', placeholder: 'Desk 12', value: d.description || '' });
  const err = h('div', { class: 'field-error' });
  errors.set(`devices[${i}].ip`, err);
  errors.set(`devices[${i}]`, err);
  return h('div', { class: 'device-row' }, ip, description, h('button', { type: 'button', class: 'link danger', onclick: onRemove }, 'Remove'), err);
}

/** Create (userId null) or edit a user; read-only for supervisors. */
export async function renderUserEditor(el, ctx, userId) {
  const isAdmin = ctx.me.role === 'admin';
  const creating = userId === null;
  let user = { userId: '', displayName: '', extensions: [], sipUris: [], devices: [], team: null, supervisorId: null, recording: { mode: 'ALWAYS', percentage: 100 } };
  if (!creating) user = await api.get(`/api/directory/users/${enc(userId)}`);
  const ro = isAdmin ? undefined : true;
  const errors = new Map();
  const general = h('p', { class: 'form-error', role: 'alert' });
  const id = h('input', { name: 'userId', value: user.userId, readonly: creating ? undefined : true, required: true, placeholder: 'e.g. alice' });
  const displayName = h('input', { name: 'displayName', value: user.displayName, readonly: ro, required: true });
  const extensions = h('input', { name: 'extensions', value: user.extensions.join(', '), readonly: ro, placeholder: '1001, +4930123456' });
  const sipUris = h('input', { name: 'sipUris', value: user.sipUris.join(', '), readonly: ro, placeholder: 'sip:alice@pbx.example.com' });
  const team = h('input', { name: 'team', value: user.team || '', readonly: ro });
  const supervisorId = h('input', { name: 'supervisorId', value: user.supervisorId || '', readonly: ro });
  const mode = select([['ALWAYS', 'Record every call'], ['NEVER', 'Never record'], ['PERCENTAGE', 'Record a percentage of calls']], user.recording.mode, { name: 'recording.mode', disabled: ro });
  const percentage = h('input', { name: 'recording.percentage', type: 'number', min: '0', max: '100', step: '1', value: String(user.recording.percentage), readonly: ro, class: 'narrow' });
  const percentageField = field('Percentage', percentage, 'recording.percentage', errors, 'chosen by a hash of the call id, so a replay decides the same');
  const syncMode = () => { percentageField.hidden = mode.value !== 'PERCENTAGE'; };
  mode.addEventListener('change', syncMode);
  syncMode();
  const devices = user.devices.map((d) => ({ ...d }));
  const deviceSlot = h('div', { class: 'devices' });
  // Typed values are read back from the inputs before the rows are redrawn (add, remove).
  const syncDevices = () => {
    [...deviceSlot.querySelectorAll('.device-row')].forEach((r, i) => {
      if (devices[i]) devices[i] = { ip: r.querySelector('.device-ip').value, description: r.querySelector('.device-description').value };
    });
  };
  const drawDevices = () => {
    for (const k of [...errors.keys()]) if (k.startsWith('devices[')) errors.delete(k);
    mount(deviceSlot, devices.map((d, i) => deviceRow(d, errors, i, () => { syncDevices(); devices.splice(i, 1); drawDevices(); })));
    if (ro) for (const input of deviceSlot.querySelectorAll('input')) input.readOnly = true;
    if (ro) for (const b of deviceSlot.querySelectorAll('button')) b.remove();
  };
  drawDevices();
  const readDevices = () => [...deviceSlot.querySelectorAll('.device-row')].map((r) => ({
    ip: r.querySelector('.device-ip').value.trim(), description: r.querySelector('.device-description').value.trim() || null,
  })).filter((d) => d.ip || d.description);

  const save = h('button', { class: 'primary', type: 'submit' }, creating ? 'Create user' : 'Save changes');
  const form = h('form', { class: 'card form', onsubmit: async (ev) => {
    ev.preventDefault();
    const targetId = creating ? id.value.trim() : userId;
    if (!targetId) { showFieldErrors(errors, general, { fields: [{ path: 'userId', message: 'is needed' }] }); return; }
    const body = {
      displayName: displayName.value.trim(), extensions: splitList(extensions.value), sipUris: splitList(sipUris.value), devices: readDevices(),
      team: team.value.trim() || null, supervisorId: supervisorId.value.trim() || null,
      recording: { mode: mode.value, percentage: mode.value === 'PERCENTAGE' ? Number(percentage.value) : mode.value === 'ALWAYS' ? 100 : 0 },
    };
    save.disabled = true;
    try {
      await api.put(`/api/directory/users/${enc(targetId)}`, body);
      showFieldErrors(errors, general, null);
      toast(creating ? `User ${targetId} created; call control applies it within seconds` : 'Saved; call control applies it within seconds');
      location.hash = '#/directory';
    } catch (e) {
      showFieldErrors(errors, general, e);
    } finally {
      save.disabled = false;
    }
  } },
  h('div', { class: 'form-grid' },
    field('User id', id, 'userId', errors, creating ? 'a stable id, e.g. the login name; it cannot be changed later' : undefined),
    field('Display name', displayName, 'displayName', errors),
    field('Extensions and numbers', extensions, 'extensions', errors, 'comma-separated'),
    field('SIP URIs', sipUris, 'sipUris', errors, 'comma-separated'),
    field('Team', team, 'team', errors, 'supervisors see their team\'s calls'),
    field('Supervisor (user id)', supervisorId, 'supervisorId', errors)),
  h('fieldset', { class: 'group' }, h('legend', {}, 'Recording rule'), h('div', { class: 'form-grid' }, field('Rule', mode, 'recording.mode', errors), percentageField)),
  h('fieldset', { class: 'group' }, h('legend', {}, 'Devices (phones by IP address)'), deviceSlot,
    isAdmin ? h('button', { type: 'button', onclick: () => { syncDevices(); devices.push({ ip: '', description: '' }); drawDevices(); } }, '+ Add device') : null),
  general,
  isAdmin ? h('div', { class: 'form-actions' }, save,
    creating ? null : h('button', { type: 'button', class: 'danger', onclick: async () => {
      if (!confirm(`Delete ${userId}? Their calls stay; new calls are no longer recorded by their rule.`)) return;
      try {
        await api.del(`/api/directory/users/${enc(userId)}`);
        toast(`User ${userId} deleted`);
        location.hash = '#/directory';
      } catch (e) { showFieldErrors(errors, general, e); }
    } }, 'Delete user'),
    h('a', { class: 'button', href: '#/directory' }, 'Cancel')) : h('p', { class: 'muted' }, 'Only an admin can change the directory.'));
  mount(el, pageHeader(creating ? 'New user' : user.displayName, h('a', { class: 'button', href: '#/directory' }, '← Directory')),
    creating ? null : h('p', { class: 'muted small' }, `Last changed ${fmtTime(user.updatedAt)} by ${user.updatedBy}`), form);
  if (creating) id.focus();
}

