import { api, enc, itemsOf } from '../api.js';
import { h, mount, fmtTime, field, showFieldErrors, splitList, select, toast, pageHeader } from '../ui.js';

const KINDS = ['call-control', 'rtp-collector', 'recorder', 'converter', 'status'];
const KIND_NOTES = {
  'call-control': 'Which calls are recorded and how their direction is decided; where SIP is captured.',
  'rtp-collector': 'Where RTP is captured and how packets are batched onto qm.rtp.v1.',
  recorder: 'Which encodings are written to .raw files (empty: every known codec).',
  converter: 'How the WAV is laid out.',
  status: 'Further settings of the status service.',
};
const EMPTY = {
  recordEveryone: null, localDomains: [], localNumberPatterns: [], captureInterface: null, captureFilter: null,
  batchMaxPackets: null, batchWindowMs: null, recordedCodecs: [], outputChannels: null, settings: {},
};

const intOrNull = (v) => (v.trim() === '' ? null : Number(v));

/** Each service kind's settings, published to qm.config.v1; the services apply them while running. */
export async function renderConfig(el, ctx, kindArg) {
  const kind = kindArg || 'call-control';
  const known = new Map(itemsOf(await api.get('/api/config')).map((c) => [c.serviceKind, c]));
  const current = known.get(kind) || null;
  const cfg = { ...EMPTY, ...(current || {}) };
  const errors = new Map();
  const general = h('p', { class: 'form-error', role: 'alert' });
  const inputs = {};
  const fields = [];
  if (kind === 'call-control') {
    inputs.recordEveryone = select([['', 'Default (follow the directory)'], ['true', 'Record every call'], ['false', 'Only users whose rule says so']],
      cfg.recordEveryone === null ? '' : String(cfg.recordEveryone), { name: 'recordEveryone' });
    inputs.localDomains = h('input', { name: 'localDomains', value: cfg.localDomains.join(', '), placeholder: 'pbx.example.com' });
    inputs.localNumberPatterns = h('input', { name: 'localNumberPatterns', value: cfg.localNumberPatterns.join(', '), placeholder: '^1\\d{3}$' });
    fields.push(field('Record everyone', inputs.recordEveryone, 'recordEveryone', errors),
      field('Local SIP domains', inputs.localDomains, 'localDomains', errors, 'comma-separated; decides inbound/outbound/internal'),
      field('Local number patterns', inputs.localNumberPatterns, 'localNumberPatterns', errors, 'regular expressions, comma-separated'));
  }
  if (kind === 'call-control' || kind === 'rtp-collector') {
    inputs.captureInterface = h('input', { name: 'captureInterface', value: cfg.captureInterface || '', placeholder: 'eth0' });
    inputs.captureFilter = h('input', { name: 'captureFilter', value: cfg.captureFilter || '', placeholder: 'udp and net 10.0.0.0/8' });
    fields.push(field('Capture interface', inputs.captureInterface, 'captureInterface', errors),
      field('Capture filter (BPF)', inputs.captureFilter, 'captureFilter', errors, 'added to the service\'s own filter'));
  }
  if (kind === 'rtp-collector') {
    inputs.batchMaxPackets = h('input', { name: 'batchMaxPackets', type: 'number', min: '1', value: cfg.batchMaxPackets ?? '' });
    inputs.batchWindowMs = h('input', { name: 'batchWindowMs', type: 'number', min: '1', value: cfg.batchWindowMs ?? '' });
    fields.push(field('Packets per batch at most', inputs.batchMaxPackets, 'batchMaxPackets', errors),
      field('Batch window (ms of capture time)', inputs.batchWindowMs, 'batchWindowMs', errors, 'also the delay of live monitoring'));
  }
  if (kind === 'recorder') {
    inputs.recordedCodecs = h('input', { name: 'recordedCodecs', value: cfg.recordedCodecs.join(', '), placeholder: 'PCMU, PCMA, G722' });
    fields.push(field('Recorded codecs', inputs.recordedCodecs, 'recordedCodecs', errors, 'comma-separated; empty records every known codec'));
  }
  if (kind === 'converter') {
    inputs.outputChannels = select([['', 'Default'], ['STEREO', 'Stereo (caller left, callee right)'], ['MONO', 'Mono mix']], cfg.outputChannels || '', { name: 'outputChannels' });
    fields.push(field('Output channels', inputs.outputChannels, 'outputChannels', errors));
  }
  inputs.settings = h('textarea', { name: 'settings', rows: '4', placeholder: 'name=value, one per line' },
    Object.entries(cfg.settings || {}).map(([k, v]) => `${k}=${v}`).join('\n'));
  fields.push(field('Further settings', inputs.settings, 'settings', errors, 'name=value, one per line'));

  const save = h('button', { class: 'primary', type: 'submit' }, 'Publish');
  const form = h('form', { class: 'card form', onsubmit: async (ev) => {
    ev.preventDefault();
    const settings = {};
    for (const line of inputs.settings.value.split('\n').map((l) => l.trim()).filter(Boolean)) {
      const eq = line.indexOf('=');
      if (eq > 0) settings[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
    }
    const body = {
      ...EMPTY,
      ...Object.fromEntries(Object.keys(EMPTY).map((k) => [k, cfg[k]])),
      settings,
    };
    if (inputs.recordEveryone) body.recordEveryone = inputs.recordEveryone.value === '' ? null : inputs.recordEveryone.value === 'true';
    if (inputs.localDomains) body.localDomains = splitList(inputs.localDomains.value);
    if (inputs.localNumberPatterns) body.localNumberPatterns = splitList(inputs.localNumberPatterns.value);
    if (inputs.captureInterface) body.captureInterface = inputs.captureInterface.value.trim() || null;
    if (inputs.captureFilter) body.captureFilter = inputs.captureFilter.value.trim() || null;
    if (inputs.batchMaxPackets) body.batchMaxPackets = intOrNull(inputs.batchMaxPackets.value);
    if (inputs.batchWindowMs) body.batchWindowMs = intOrNull(inputs.batchWindowMs.value);
    if (inputs.recordedCodecs) body.recordedCodecs = splitList(inputs.recordedCodecs.value);
    if (inputs.outputChannels) body.outputChannels = inputs.outputChannels.value || null;
    save.disabled = true;
    try {
      const published = await api.put(`/api/config/${enc(kind)}`, body);
      showFieldErrors(errors, general, null);
      toast(`${kind}: revision ${published.revision} published; running services apply it`);
      renderConfig(el, ctx, kind);
    } catch (e) {
      showFieldErrors(errors, general, e);
    } finally {
      save.disabled = false;
    }
  } },
  h('p', { class: 'muted' }, KIND_NOTES[kind] || ''),
  h('div', { class: 'form-grid' }, fields), general, h('div', { class: 'form-actions' }, save));

  mount(el, pageHeader('Configuration'),
    h('nav', { class: 'tabs' }, KINDS.map((k) => h('a', { href: `#/config/${k}`, class: k === kind ? 'active' : undefined },
      k, known.has(k) ? h('span', { class: 'tab-rev' }, `r${known.get(k).revision}`) : null))),
    h('p', { class: 'muted small' }, current ? `Revision ${current.revision}, changed ${fmtTime(current.updatedAt)} by ${current.updatedBy}` : 'Not configured yet: the services run with their built-in defaults.'),
    form);
}
