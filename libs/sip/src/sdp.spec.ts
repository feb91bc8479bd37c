import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildSdp, decodeSdp, type SdpSession } from './sdp';
import { SdpDecodeError } from './sip-error';

const sdp = (lines: string[]): string => `${lines.join('\r\n')}\r\n`;
const HEAD = ['v=0', 'o=- 3724394400 3724394401 IN IP4 10.0.0.1', 's=-', 't=0 0'];

describe('decodeSdp: what a recorder needs', () => {
  const cases: Array<{ name: string; text: string; check: (s: SdpSession) => void }> = [
    {
      name: 'session-level c=, static payload types without rtpmap (PCMU, PCMA, G722, G729, CN), telephone-event with fmtp, ptime',
      text: sdp([...HEAD, 'c=IN IP4 10.0.0.1', 'm=audio 49170 RTP/AVP 0 8 9 18 13 101', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=fmtp:18 annexb=no', 'a=ptime:20']),
      check: (s) => {
        const m = s.media[0];
        assert.ok(m);
        assert.equal(m.address, '10.0.0.1');
        assert.equal(m.port, 49170);
        assert.equal(m.protocol, 'RTP/AVP');
        assert.equal(m.ptime, 20);
        assert.deepEqual(m.codecs.map((c) => [c.payloadType, c.encoding, c.clockRate, c.sampleRate, c.channels, c.fmtp]), [
          [0, 'PCMU', 8000, 8000, 1, undefined], [8, 'PCMA', 8000, 8000, 1, undefined], [9, 'G722', 8000, 16000, 1, undefined],
          [18, 'G729', 8000, 8000, 1, 'annexb=no'], [13, 'CN', 8000, 8000, 1, undefined], [101, 'telephone-event', 8000, 8000, 1, '0-16'],
        ]);
        assert.equal(m.direction, 'sendrecv');
        assert.equal(m.hold, false);
        assert.equal(m.rtcpPort, 49171);
        assert.equal(m.rtcpExplicit, false);
        assert.equal(s.origin.sessionVersion, '3724394401');
      },
    },
    {
      name: 'G722 with an explicit rtpmap keeps clock 8000 and sample rate 16000; opus stereo',
      text: sdp([...HEAD, 'c=IN IP4 10.0.0.1', 'm=audio 5000 RTP/AVP 9 111', 'a=rtpmap:9 G722/8000', 'a=rtpmap:111 opus/48000/2']),
      check: (s) => assert.deepEqual(s.media[0]?.codecs.map((c) => [c.encoding, c.clockRate, c.sampleRate, c.channels]), [['G722', 8000, 16000, 1], ['opus', 48000, 48000, 2]]),
    },
    {
      name: 'media-level c= overrides session-level, several m= lines',
      text: sdp([...HEAD, 'c=IN IP4 10.0.0.1', 'm=audio 4000 RTP/AVP 0', 'c=IN IP4 10.0.0.2', 'm=video 4002 RTP/AVP 96', 'a=rtpmap:96 H264/90000', 'm=audio 4004 RTP/AVP 8']),
      check: (s) => {
        assert.deepEqual(s.media.map((m) => [m.index, m.type, m.address, m.port]), [[0, 'audio', '10.0.0.2', 4000], [1, 'video', '10.0.0.1', 4002], [2, 'audio', '10.0.0.1', 4004]]);
        assert.equal(s.sessionAddress, '10.0.0.1');
      },
    },
    {
      name: 'session-level direction is the default, media-level wins',
      text: sdp([...HEAD, 'c=IN IP4 10.0.0.1', 'a=sendonly', 'm=audio 4000 RTP/AVP 0', 'm=audio 4002 RTP/AVP 0', 'a=recvonly']),
      check: (s) => {
        assert.deepEqual(s.media.map((m) => [m.direction, m.hold]), [['sendonly', true], ['recvonly', false]]);
        assert.equal(s.sessionDirection, 'sendonly');
      },
    },
    {
      name: 'inactive is hold',
      text: sdp([...HEAD, 'c=IN IP4 10.0.0.1', 'm=audio 4000 RTP/AVP 0', 'a=inactive']),
      check: (s) => assert.deepEqual([s.media[0]?.direction, s.media[0]?.effectiveDirection, s.media[0]?.hold], ['inactive', 'inactive', true]),
    },
    {
      name: 'old-style hold c=0.0.0.0: effective direction sendonly',
      text: sdp([...HEAD, 'c=IN IP4 0.0.0.0', 'm=audio 4000 RTP/AVP 0']),
      check: (s) => assert.deepEqual([s.media[0]?.direction, s.media[0]?.effectiveDirection, s.media[0]?.hold], ['sendrecv', 'sendonly', true]),
    },
    {
      name: 'a=rtcp with port only, with port and address; rtcp-mux',
      text: sdp([...HEAD, 'c=IN IP4 10.0.0.1', 'm=audio 4000 RTP/AVP 0', 'a=rtcp:4011', 'm=audio 4002 RTP/AVP 0', 'a=rtcp:5000 IN IP4 10.0.0.9', 'm=audio 4004 RTP/AVP 0', 'a=rtcp-mux']),
      check: (s) => assert.deepEqual(s.media.map((m) => [m.rtcpPort, m.rtcpAddress, m.rtcpExplicit, m.rtcpMux]), [
        [4011, '10.0.0.1', true, false], [5000, '10.0.0.9', true, false], [4004, '10.0.0.1', false, true],
      ]),
    },
    {
      name: 'IPv6 c= line and multicast TTL stripped',
      text: sdp([...HEAD, 'c=IN IP6 2001:db8::5', 'm=audio 4000 RTP/AVP 0', 'm=audio 4002 RTP/AVP 0', 'c=IN IP4 224.2.1.1/127']),
      check: (s) => assert.deepEqual(s.media.map((m) => [m.address, m.addressType]), [['2001:db8::5', 'IP6'], ['224.2.1.1', 'IP4']]),
    },
    {
      name: 'rejected stream (port 0) and T.38 image stream with non-numeric formats; LF line ends',
      text: [...HEAD, 'c=IN IP4 10.0.0.1', 'm=audio 0 RTP/AVP 0', 'm=image 4010 udptl t38', ''].join('\n'),
      check: (s) => {
        assert.deepEqual(s.media.map((m) => [m.type, m.port, m.formats, m.codecs.length]), [['audio', 0, ['0'], 1], ['image', 4010, ['t38'], 0]]);
        assert.equal(s.media[0]?.rtcpPort, 0);
      },
    },
    {
      name: 'dynamic payload type without rtpmap is kept as unknown',
      text: sdp([...HEAD, 'c=IN IP4 10.0.0.1', 'm=audio 4000 RTP/AVP 97']),
      check: (s) => assert.deepEqual(s.media[0]?.codecs.map((c) => [c.payloadType, c.known]), [[97, false]]),
    },
  ];
  for (const c of cases) test(c.name, () => c.check(decodeSdp(c.text)));

  test('bytes decode like text', () => {
    const text = sdp([...HEAD, 'c=IN IP4 10.0.0.1', 'm=audio 4000 RTP/AVP 0']);
    assert.deepEqual(decodeSdp(new TextEncoder().encode(text)), decodeSdp(text));
  });
});

describe('decodeSdp: bad SDP gives SdpDecodeError with a reason', () => {
  const cases: Array<[string, string, string]> = [
    ['empty', '', 'missing-version'],
    ['no v=', sdp(HEAD.slice(1)), 'missing-version'],
    ['no o=', sdp(['v=0', 's=-', 'c=IN IP4 1.2.3.4', 'm=audio 1 RTP/AVP 0']), 'missing-origin'],
    ['garbage line', sdp([...HEAD, 'hello']), 'bad-line'],
    ['bad m= line (port/count)', sdp([...HEAD, 'c=IN IP4 1.2.3.4', 'm=audio 49170/2 RTP/AVP 0']), 'bad-media-line'],
    ['port out of range', sdp([...HEAD, 'c=IN IP4 1.2.3.4', 'm=audio 70000 RTP/AVP 0']), 'bad-media-line'],
    ['bad c= line', sdp([...HEAD, 'c=IN IP4', 'm=audio 4000 RTP/AVP 0']), 'bad-connection'],
    ['no c= anywhere', sdp([...HEAD, 'm=audio 4000 RTP/AVP 0']), 'missing-connection'],
    ['payload type not a number', sdp([...HEAD, 'c=IN IP4 1.2.3.4', 'm=audio 4000 RTP/AVP pcmu']), 'bad-payload-type'],
    ['payload type over 127', sdp([...HEAD, 'c=IN IP4 1.2.3.4', 'm=audio 4000 RTP/AVP 200']), 'bad-payload-type'],
    ['rtpmap without clock rate', sdp([...HEAD, 'c=IN IP4 1.2.3.4', 'm=audio 4000 RTP/AVP 96', 'a=rtpmap:96 opus']), 'bad-rtpmap'],
  ];
  for (const [name, text, reason] of cases) {
    test(name, () => assert.throws(() => decodeSdp(text), (e: unknown) => e instanceof SdpDecodeError && e.reason === reason));
  }
});

describe('buildSdp round trip through sdp-transform write', () => {
  test('what buildSdp writes decodes to the same media', () => {
    const text = buildSdp({
      address: '10.1.1.1', sessionVersion: 7, media: [
        { port: 30000, payloadTypes: [9, 0, 101], rtpmap: [{ payloadType: 101, encoding: 'telephone-event', clockRate: 8000 }], fmtp: [{ payloadType: 101, config: '0-15' }], ptime: 20, direction: 'sendonly', rtcp: { port: 30011 } },
        { port: 30002, address: '2001:db8::7', payloadTypes: [8], rtcp: { port: 30013, address: '2001:db8::8' } },
      ],
    });
    assert.ok(text.endsWith('\r\n'));
    const s = decodeSdp(text);
    assert.equal(s.origin.sessionVersion, '7');
    assert.deepEqual(s.media.map((m) => [m.address, m.port, m.codecs.map((c) => c.encoding), m.direction, m.ptime, m.rtcpPort, m.rtcpAddress]), [
      ['10.1.1.1', 30000, ['G722', 'PCMU', 'telephone-event'], 'sendonly', 20, 30011, '10.1.1.1'],
      ['2001:db8::7', 30002, ['PCMA'], 'sendrecv', undefined, 30013, '2001:db8::8'],
    ]);
  });
});

describe('decodeSdp fuzz', () => {
  const valid = buildSdp({ address: '10.0.0.1', direction: 'sendrecv', media: [{ port: 4000, payloadTypes: [0, 8, 101], rtpmap: [{ payloadType: 101, encoding: 'telephone-event', clockRate: 8000 }], fmtp: [{ payloadType: 101, config: '0-15' }], ptime: 20, rtcp: { port: 4001, address: '10.0.0.2' } }, { port: 4002, address: '::1', payloadTypes: [9] }] });
  const run = (text: string): void => {
    try { decodeSdp(text); } catch (e) { if (!(e instanceof SdpDecodeError)) throw e; }
  };
  test('random strings', () => fc.assert(fc.property(fc.string({ maxLength: 400 }), run), { numRuns: 2000 }));
  test('random bytes', () => fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (b) => {
    try { decodeSdp(b); } catch (e) { if (!(e instanceof SdpDecodeError)) throw e; }
  }), { numRuns: 1000 }));
  test('mutated valid SDP', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.constantFrom(' ', '\r\n', ':', '/', 'x', '9', '-', '=', '', 'a=rtpmap:', 'm=', 'c=IN IP6 ')), { maxLength: 6 }), (muts) => {
      let t = valid;
      for (const [i, piece] of muts) t = t.slice(0, i) + piece + t.slice(i + 1);
      run(t);
    }), { numRuns: 3000 });
  });
  test('lines made of SDP pieces', () => {
    const line = fc.tuple(fc.constantFrom('v=', 'o=', 'c=', 'm=', 'a=', 's=', 't='), fc.array(fc.constantFrom('0', 'IN IP4 ', '1.2.3.4', 'audio ', '4000 ', 'RTP/AVP ', 'rtpmap:', 'rtcp:', 'fmtp:', '96 ', '/', 'sendonly', ' ', '- 1 1 '), { maxLength: 8 })).map(([k, v]) => k + v.join(''));
    fc.assert(fc.property(fc.array(line, { maxLength: 12 }), (ls) => run(['v=0', ...ls].join('\r\n'))), { numRuns: 3000 });
  });
});
