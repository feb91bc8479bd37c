import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeSipMessage, encodeSipMessage, encodedSizeSipMessage, getSipHeader, getSipHeaders, type SipMessage } from './sip-message';
import { SipDecodeError } from './sip-error';
import { buildSipRequest, buildSipResponse } from './sip-builder';
import {
  getSipContacts, getSipContentType, getSipPAssertedIdentities, getSipReasons, getSipSdpBody, getSipTopViaBranch, getSipVias,
} from './sip-headers';
import { parseSipNameAddr, parseSipUri } from './sip-name-addr';

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (s: string): Uint8Array => enc.encode(s);
const crlf = (lines: string[]): string => lines.join('\r\n');

const INVITE_HEAD = [
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.example.com:5060;branch=z9hG4bK776asdhds',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.example.com>',
  'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.example.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@pc33.atlanta.example.com>',
];

describe('decodeSipMessage: quirks', () => {
  const cases: Array<{ name: string; input: string | Uint8Array; check: (m: SipMessage, size: number) => void }> = [
    {
      name: 'plain RFC 3261 INVITE without body',
      input: crlf([...INVITE_HEAD, 'Content-Length: 0', '', '']),
      check: (m) => {
        assert.equal(m.kind, 'request');
        assert.equal(m.kind === 'request' && m.method, 'INVITE');
        assert.equal(m.kind === 'request' && m.requestUri, 'sip:bob@biloxi.example.com');
        assert.equal(m.callId, 'a84b4c76e66710@pc33.atlanta.example.com');
        assert.deepEqual(m.cseq, { seq: 314159, method: 'INVITE' });
        assert.equal(m.from.displayName, 'Alice');
        assert.equal(m.from.params['tag'], '1928301774');
        assert.equal(m.from.uri.user, 'alice');
        assert.equal(m.from.uri.host, 'atlanta.example.com');
        assert.equal(m.to.params['tag'], undefined);
        assert.equal(m.contentLength, 0);
        assert.equal(m.body.length, 0);
        assert.equal(getSipTopViaBranch(m), 'z9hG4bK776asdhds');
      },
    },
    {
      name: 'compact header names (i f t m v l c)',
      input: crlf([
        'INVITE sip:bob@b.example SIP/2.0', 'v: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKc1', 'f: <sip:a@a.example>;tag=x',
        't: sip:bob@b.example', 'i: compact-1', 'CSeq: 1 INVITE', 'm: <sip:a@10.0.0.1>', 'c: application/sdp', 'l: 4', '', 'v=0\n',
      ]),
      check: (m) => {
        assert.equal(m.callId, 'compact-1');
        assert.equal(m.from.params['tag'], 'x');
        assert.equal(m.to.uri.user, 'bob');
        assert.equal(getSipContacts(m)[0]?.uri.host, '10.0.0.1');
        assert.equal(getSipContentType(m)?.mediaType, 'application/sdp');
        assert.equal(m.contentLength, 4);
        assert.equal(dec.decode(m.body), 'v=0\n');
        assert.equal(getSipHeader(m, 'Via'), 'SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKc1');
      },
    },
    {
      name: 'folded (continuation) lines',
      input: crlf([
        'INVITE sip:bob@b.example SIP/2.0', 'Via: SIP/2.0/UDP 10.0.0.1', '  ;branch=z9hG4bKfold', 'From: "Alice"', '\t<sip:a@a.example>;tag=1',
        'To: <sip:bob@b.example>', 'Call-ID: fold', 'CSeq: 7', ' INVITE', 'Content-Length: 0', '', '',
      ]),
      check: (m) => {
        assert.equal(getSipTopViaBranch(m), 'z9hG4bKfold');
        assert.equal(m.from.displayName, 'Alice');
        assert.deepEqual(m.cseq, { seq: 7, method: 'INVITE' });
      },
    },
    {
      name: 'repeated Via headers and comma-joined Via values, top first',
      input: crlf([
        'SIP/2.0 200 OK', 'Via: SIP/2.0/UDP proxy.example:5060;branch=z9hG4bKp1, SIP/2.0/TCP [2001:db8::9]:5070;branch=z9hG4bKp2;received=2001:db8::9',
        'VIA: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKua;rport=5062', 'From: <sip:a@a.example>;tag=1', 'To: <sip:b@b.example>;tag=2',
        'Call-ID: vias', 'CSeq: 1 INVITE', 'Content-Length: 0', '', '',
      ]),
      check: (m) => {
        const vias = getSipVias(m);
        assert.deepEqual(vias.map((v) => [v.transport, v.host, v.port, v.branch]), [
          ['UDP', 'proxy.example', 5060, 'z9hG4bKp1'],
          ['TCP', '2001:db8::9', 5070, 'z9hG4bKp2'],
          ['UDP', '10.0.0.1', undefined, 'z9hG4bKua'],
        ]);
        assert.equal(vias[2]?.params['rport'], '5062');
        assert.equal(getSipHeaders(m, 'v').length, 2);
        assert.equal(m.kind === 'response' && m.status, 200);
      },
    },
    {
      name: 'weird casing of names, method and version',
      input: crlf(['invite sip:b@b.example sip/2.0', 'cALL-iD: Case', 'FROM: <sip:a@a.example>;TAG=t1', 'tO: <sip:b@b.example>', 'cseq: 2 invite', 'CONTENT-LENGTH: 0', '', '']),
      check: (m) => {
        assert.equal(m.kind === 'request' && m.method, 'INVITE');
        assert.equal(m.version, 'SIP/2.0');
        assert.equal(m.callId, 'Case');
        assert.equal(m.from.params['tag'], 't1');
        assert.deepEqual(m.cseq, { seq: 2, method: 'INVITE' });
      },
    },
    {
      name: 'missing Content-Length on UDP: body is the rest of the datagram',
      input: crlf(['BYE sip:a@a.example SIP/2.0', 'From: <sip:b@b.example>;tag=2', 'To: <sip:a@a.example>;tag=1', 'Call-ID: nolen', 'CSeq: 2 BYE', '', 'trailing body']),
      check: (m, size) => {
        assert.equal(m.contentLength, undefined);
        assert.equal(dec.decode(m.body), 'trailing body');
        assert.equal(size, bytes(crlf(['BYE sip:a@a.example SIP/2.0', 'From: <sip:b@b.example>;tag=2', 'To: <sip:a@a.example>;tag=1', 'Call-ID: nolen', 'CSeq: 2 BYE', '', 'trailing body'])).length);
      },
    },
    {
      name: 'body with binary-ish bytes (NUL, 0xff, CRLFCRLF inside) kept byte for byte',
      input: (() => {
        const body = new Uint8Array([0, 255, 13, 10, 13, 10, 0x80, 1]);
        return buildSipRequest({ method: 'INFO', uri: 'sip:b@b.example', callId: 'bin', from: { uri: 'sip:a@a.example', tag: '1' }, to: { uri: 'sip:b@b.example', tag: '2' }, cseq: 3, body, contentType: 'application/octet-stream' });
      })(),
      check: (m) => assert.deepEqual([...m.body], [0, 255, 13, 10, 13, 10, 0x80, 1]),
    },
    {
      name: 'IPv6 hosts in Via, Contact and the Request-URI',
      input: crlf(['INVITE sip:bob@[2001:db8::2]:5080;transport=udp SIP/2.0', 'Via: SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK6',
        'From: <sip:alice@[2001:db8::1]>;tag=v6', 'To: <sip:bob@[2001:db8::2]:5080>', 'Call-ID: v6', 'CSeq: 1 INVITE',
        'Contact: <sip:alice@[2001:db8::1]:5060;transport=udp>', 'Content-Length: 0', '', '']),
      check: (m) => {
        assert.equal(getSipVias(m)[0]?.host, '2001:db8::1');
        assert.equal(getSipVias(m)[0]?.port, 5060);
        const contact = getSipContacts(m)[0];
        assert.equal(contact?.uri.host, '2001:db8::1');
        assert.equal(contact?.uri.port, 5060);
        assert.equal(contact?.uri.params['transport'], 'udp');
        assert.equal(m.to.uri.port, 5080);
      },
    },
    {
      name: 'quoted display names with commas and escapes, P-Asserted-Identity list',
      input: crlf(['INVITE sip:b@b.example SIP/2.0', 'From: "Doe, John \\"JD\\"" <sip:1001@pbx.example;user=phone>;tag=q1',
        'To: Support Line <sip:2000@pbx.example>', 'Call-ID: quoted', 'CSeq: 1 INVITE',
        'P-Asserted-Identity: "Doe, John" <sip:+4930123@pbx.example>, <tel:+4930123>', 'Content-Length: 0', '', '']),
      check: (m) => {
        assert.equal(m.from.displayName, 'Doe, John "JD"');
        assert.equal(m.from.uri.user, '1001');
        assert.equal(m.from.uri.params['user'], 'phone');
        assert.equal(m.to.displayName, 'Support Line');
        const pai = getSipPAssertedIdentities(m);
        assert.deepEqual(pai.map((p) => [p.displayName, p.uri.scheme, p.uri.user]), [['Doe, John', 'sip', '+4930123'], [undefined, 'tel', '+4930123']]);
      },
    },
    {
      name: 'response with Reason header and empty-ish reason phrase; LF-only line ends',
      input: ['SIP/2.0 486 Busy Here', 'From: <sip:a@a.example>;tag=1', 'To: <sip:b@b.example>;tag=2', 'Call-ID: busy', 'CSeq: 1 INVITE',
        'Reason: Q.850;cause=17;text="User busy", SIP;cause=486', 'Content-Length: 0', '', ''].join('\n'),
      check: (m) => {
        assert.equal(m.kind === 'response' && m.reasonPhrase, 'Busy Here');
        assert.deepEqual(getSipReasons(m), [{ protocol: 'Q.850', cause: 17, text: 'User busy' }, { protocol: 'SIP', cause: 486, text: undefined }]);
      },
    },
    {
      name: 'leading CRLF keep-alive before the start line, trailing bytes after Content-Length ignored',
      input: `\r\n\r\n${crlf(['OPTIONS sip:b@b.example SIP/2.0', 'From: <sip:a@a.example>;tag=1', 'To: <sip:b@b.example>', 'Call-ID: ka', 'CSeq: 1 OPTIONS', 'Content-Length: 2', '', 'ab'])}junk`,
      check: (m, size) => {
        assert.equal(dec.decode(m.body), 'ab');
        assert.equal(size, bytes(`\r\n\r\n${crlf(['OPTIONS sip:b@b.example SIP/2.0', 'From: <sip:a@a.example>;tag=1', 'To: <sip:b@b.example>', 'Call-ID: ka', 'CSeq: 1 OPTIONS', 'Content-Length: 2', '', 'ab'])}`).length);
      },
    },
    {
      name: 'SDP inside a multipart/mixed body (SIP-I with ISUP)',
      input: crlf(['INVITE sip:b@b.example SIP/2.0', 'From: <sip:a@a.example>;tag=1', 'To: <sip:b@b.example>', 'Call-ID: mp', 'CSeq: 1 INVITE',
        'Content-Type: multipart/mixed;boundary=unique-boundary-1', '', '--unique-boundary-1', 'Content-Type: application/sdp', '', 'v=0', 'o=- 1 1 IN IP4 10.0.0.1',
        '--unique-boundary-1', 'Content-Type: application/ISUP;version=itu-t92+', '', '\u0001\u0002', '--unique-boundary-1--', '']),
      check: (m) => assert.equal(dec.decode(getSipSdpBody(m)), 'v=0\r\no=- 1 1 IN IP4 10.0.0.1'),
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const { value, size } = decodeSipMessage(typeof c.input === 'string' ? bytes(c.input) : c.input);
      c.check(value, size);
    });
  }
});

describe('decodeSipMessage: errors carry a reason', () => {
  const ok = ['From: <sip:a@a.example>;tag=1', 'To: <sip:b@b.example>', 'Call-ID: e', 'CSeq: 1 INVITE'];
  const cases: Array<[string, string, string]> = [
    ['empty input', '', 'empty-message'],
    ['no empty line after the headers', crlf(['INVITE sip:b@b.example SIP/2.0', ...ok]), 'truncated-header'],
    ['not a start line', crlf(['HELLO WORLD', ...ok, '', '']), 'bad-start-line'],
    ['bad version', crlf(['INVITE sip:b@b.example HTTP/1.1', ...ok, '', '']), 'bad-version'],
    ['bad status code', crlf(['SIP/2.0 99 Odd', ...ok, '', '']), 'bad-status-line'],
    ['header without colon', crlf(['INVITE sip:b@b.example SIP/2.0', 'Garbage', ...ok, '', '']), 'bad-header-line'],
    ['missing Call-ID', crlf(['INVITE sip:b@b.example SIP/2.0', ...ok.filter((h) => !h.startsWith('Call-ID')), '', '']), 'missing-call-id'],
    ['bad CSeq', crlf(['INVITE sip:b@b.example SIP/2.0', ...ok.slice(0, 3), 'CSeq: one INVITE', '', '']), 'bad-cseq'],
    ['unterminated quoted display name', crlf(['INVITE sip:b@b.example SIP/2.0', 'From: "Alice <sip:a@a>;tag=1', ...ok.slice(1), '', '']), 'bad-from'],
    ['Content-Length longer than the datagram', crlf(['INVITE sip:b@b.example SIP/2.0', ...ok, 'Content-Length: 10', '', 'abc']), 'truncated-body'],
    ['conflicting Content-Length', crlf(['INVITE sip:b@b.example SIP/2.0', ...ok, 'Content-Length: 1', 'l: 2', '', 'abc']), 'bad-content-length'],
  ];
  for (const [name, input, reason] of cases) {
    test(name, () => {
      assert.throws(() => decodeSipMessage(bytes(input)), (e: unknown) => e instanceof SipDecodeError && e.reason === reason);
    });
  }
  test('Content-Length required on request', () => {
    assert.throws(() => decodeSipMessage(bytes(crlf(['INVITE sip:b@b.example SIP/2.0', ...ok, '', ''])), 0, { requireContentLength: true }),
      (e: unknown) => e instanceof SipDecodeError && e.reason === 'missing-content-length');
  });
});

describe('URIs and name-addr', () => {
  const cases: Array<[string, string, { scheme: string; user?: string; host?: string; port?: number }]> = [
    ['sip with password and port', 'sip:alice:secret@10.0.0.1:5070;transport=tcp', { scheme: 'sip', user: 'alice', host: '10.0.0.1', port: 5070 }],
    ['sips without user', 'sips:pbx.example', { scheme: 'sips', host: 'pbx.example' }],
    ['tel', 'tel:+1-201-555-0123;phone-context=example.com', { scheme: 'tel', user: '+1-201-555-0123' }],
    ['IPv6 without port', 'sip:[::1]', { scheme: 'sip', host: '::1' }],
    ['user with params and headers', 'SIP:1001;isub=5@pbx.example?subject=x', { scheme: 'sip', user: '1001;isub=5', host: 'pbx.example' }],
  ];
  for (const [name, raw, want] of cases) {
    test(name, () => {
      const u = parseSipUri(raw);
      assert.equal(u.scheme, want.scheme);
      assert.equal(u.user, want.user);
      assert.equal(u.host, want.host);
      assert.equal(u.port, want.port);
    });
  }
  test('addr-spec form: parameters belong to the header', () => {
    const na = parseSipNameAddr('sip:bob@b.example;tag=77');
    assert.equal(na.params['tag'], '77');
    assert.equal(na.uri.raw, 'sip:bob@b.example');
  });
});

describe('encodeSipMessage round trip', () => {
  test('builder → decode → encode → decode gives the same message', () => {
    const sdp = 'v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
    const wire = buildSipRequest({
      method: 'INVITE', uri: 'sip:2000@pbx.example', callId: 'rt-1', from: { uri: 'sip:1001@pbx.example', displayName: 'Doe, "J"', tag: 'a' },
      to: { uri: 'sip:2000@pbx.example' }, cseq: 1, via: [{ host: '10.0.0.1', port: 5060, branch: 'z9hG4bKrt' }], contact: 'sip:1001@10.0.0.1',
      pAssertedIdentity: [{ uri: 'tel:+4930123' }], body: sdp,
    });
    const first = decodeSipMessage(wire).value;
    assert.equal(first.from.displayName, 'Doe, "J"');
    assert.equal(getSipPAssertedIdentities(first)[0]?.uri.user, '+4930123');
    const out = new Uint8Array(encodedSizeSipMessage(first));
    assert.equal(encodeSipMessage(first, out), out.length);
    assert.deepEqual(out, wire);
    assert.deepEqual(decodeSipMessage(out).value, first);
  });
  test('compact builder output decodes to the same values as the long form', () => {
    const spec = { status: 180, callId: 'c', cseqMethod: 'INVITE', from: { uri: 'sip:a@a', tag: '1' }, to: { uri: 'sip:b@b', tag: '2' }, cseq: 1, via: [{ host: 'h', branch: 'z9hG4bKx' }] };
    const long = decodeSipMessage(buildSipResponse(spec)).value;
    const short = decodeSipMessage(buildSipResponse({ ...spec, compact: true })).value;
    assert.deepEqual({ ...short, headers: [] }, { ...long, headers: [] });
    assert.equal(short.headers.find((h) => h.name === 'via')?.rawName, 'v');
  });
});

describe('decodeSipMessage fuzz', () => {
  const valid = buildSipRequest({
    method: 'INVITE', uri: 'sip:b@b.example', callId: 'fz', from: { uri: 'sip:a@a.example', displayName: 'A, "x"', tag: '1' }, to: { uri: 'sip:b@[::1]:5060' },
    cseq: 1, via: [{ host: '2001:db8::1', port: 5060, branch: 'z9hG4bKf' }], contact: 'sip:a@10.0.0.1', body: 'v=0\r\n',
    headers: [['Reason', 'Q.850;cause=16;text="x"'], ['Content-Type', 'multipart/mixed;boundary=b']],
  });
  const accessors = (m: SipMessage): void => {
    for (const f of [getSipVias, getSipContacts, getSipPAssertedIdentities, getSipContentType, getSipReasons, getSipSdpBody]) {
      try { f(m); } catch (e) { if (!(e instanceof SipDecodeError)) throw e; }
    }
  };
  const run = (input: Uint8Array): void => {
    try {
      accessors(decodeSipMessage(input).value);
    } catch (e) {
      if (!(e instanceof SipDecodeError)) throw e;
    }
  };
  test('random bytes: a message or SipDecodeError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (b) => run(b)), { numRuns: 2000 });
  });
  test('mutated valid messages: a message or SipDecodeError', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat(valid.length), (muts, cut) => {
      const b = valid.slice(0, Math.max(cut, 1));
      for (const [i, v] of muts) if (i < b.length) b[i] = v;
      run(b);
    }), { numRuns: 3000 });
  });
  test('random text made of SIP-ish pieces', () => {
    const piece = fc.constantFrom('INVITE ', 'SIP/2.0', ' 200 ', '\r\n', ':', ';', '"', '\\', '<', '>', ',', 'sip:', '@', '[', ']', 'tag=', 'Via', 'i', 'f', 't', 'CSeq', '1 ', 'l: ', '5', ' ', '\t');
    fc.assert(fc.property(fc.array(piece, { maxLength: 80 }), (ps) => run(bytes(ps.join('')))), { numRuns: 3000 });
  });
});
