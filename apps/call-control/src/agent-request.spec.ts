import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AgentRequestError, parseAnswerRequest, parseMediaRequest, parseStartRequest, parseStopRequest } from './agent-request';

const SDP = 'v=0\r\no=- 1 1 IN IP4 10.0.0.11\r\ns=-\r\nc=IN IP4 10.0.0.11\r\nt=0 0\r\nm=audio 40000 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n';

const start = {
  callId: 'pbx-42',
  timeUs: 1_763_942_400_000_000,
  caller: { uri: 'sip:1001@pbx.example.com', displayName: 'Alice Agent', address: '10.0.0.11' },
  callee: { uri: 'tel:+4930123456', assertedIdentity: 'sip:+4930123456@carrier.net' },
  callerMedia: { sdp: SDP },
};

function refused(fn: () => unknown, status: number, field: string | null, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AgentRequestError, String(e));
    assert.equal(e.status, status);
    assert.equal(e.field, field);
    assert.match(e.message, message);
    return true;
  });
}

describe('agent requests are validated field by field', () => {
  test('a full start request', () => {
    const r = parseStartRequest(start);
    assert.equal(r.callId, 'pbx-42');
    assert.deepEqual(r.caller, { uri: 'sip:1001@pbx.example.com', user: '1001', host: 'pbx.example.com', displayName: 'Alice Agent', assertedIdentity: null, address: '10.0.0.11' });
    assert.deepEqual(r.callee.assertedIdentity, { uri: 'sip:+4930123456@carrier.net', user: '+4930123456', host: 'carrier.net' });
    assert.deepEqual(r.callerMedia, [{
      media: 'audio', address: '10.0.0.11', port: 40000, rtcpPort: null, mode: 'SENDRECV', ptimeMs: 20,
      codecs: [
        { payloadType: 8, name: 'PCMA', clockRate: 8000, channels: 1, fmtp: null },
        { payloadType: 101, name: 'telephone-event', clockRate: 8000, channels: 1, fmtp: '0-16' },
      ],
    }]);
  });

  test('explicit streams: static payload types fill name and clock rate', () => {
    const r = parseMediaRequest({ side: 'callee', streams: [{ address: '2001:db8::24', port: 50010, codecs: [{ payloadType: 0 }, { payloadType: 96, name: 'opus', clockRate: 48000, channels: 2, fmtp: 'useinbandfec=1' }] }] });
    assert.deepEqual(r.media, [{
      media: 'audio', address: '2001:db8::24', port: 50010, rtcpPort: null, mode: 'SENDRECV', ptimeMs: null,
      codecs: [{ payloadType: 0, name: 'PCMU', clockRate: 8000, channels: 1, fmtp: null }, { payloadType: 96, name: 'opus', clockRate: 48000, channels: 2, fmtp: 'useinbandfec=1' }],
    }]);
  });

  const cases: Array<[string, () => unknown, string | null, RegExp]> = [
    ['body not an object', () => parseStartRequest([1]), '(body)', /must be a JSON object/],
    ['missing callId', () => parseStartRequest({ ...start, callId: undefined }), 'callId', /is required/],
    ['callId with a control character', () => parseStartRequest({ ...start, callId: 'a\u0001b' }), 'callId', /control characters/],
    ['unknown top-level field', () => parseStartRequest({ ...start, foo: 1 }), 'foo', /is not a field here/],
    ['timeUs not an integer', () => parseStartRequest({ ...start, timeUs: 1.5 }), 'timeUs', /must be an integer from/],
    ['timeUs in milliseconds by mistake', () => parseStartRequest({ ...start, timeUs: 1_763_942_400_000 }), 'timeUs', /must be an integer from/],
    ['missing callee', () => parseStartRequest({ ...start, callee: undefined }), 'callee', /is required/],
    ['caller URI not a URI', () => parseStartRequest({ ...start, caller: { uri: 'alice' } }), 'caller.uri', /sip:, sips: or tel: URI/],
    ['caller URI of another scheme', () => parseStartRequest({ ...start, caller: { uri: 'mailto:a@b.c' } }), 'caller.uri', /sip:, sips: or tel: URI/],
    ['caller address not an IP', () => parseStartRequest({ ...start, caller: { uri: 'sip:1@a', address: 'pc-12' } }), 'caller.address', /IPv4 or IPv6/],
    ['unknown party field', () => parseStartRequest({ ...start, callee: { uri: 'sip:1@a', name: 'x' } }), 'callee.name', /is not a field here \(known: uri, displayName, assertedIdentity, address\)/],
    ['bad asserted identity', () => parseStartRequest({ ...start, callee: { uri: 'sip:1@a', assertedIdentity: 42 } }), 'callee.assertedIdentity', /must be a string, got 42/],
    ['media with both sdp and streams', () => parseStartRequest({ ...start, callerMedia: { sdp: SDP, streams: [] } }), 'callerMedia', /exactly one of sdp or streams/],
    ['bad SDP', () => parseStartRequest({ ...start, callerMedia: { sdp: 'v=0\r\nm=audio x\r\n' } }), 'callerMedia.sdp', /is not a usable SDP/],
    ['stream port out of range', () => parseStartRequest({ ...start, callerMedia: { streams: [{ address: '10.0.0.1', port: 70000, codecs: [{ payloadType: 0 }] }] } }), 'callerMedia.streams[0].port', /integer from 0 to 65535, got 70000/],
    ['stream without codecs', () => parseStartRequest({ ...start, callerMedia: { streams: [{ address: '10.0.0.1', port: 4000, codecs: [] }] } }), 'callerMedia.streams[0].codecs', /1 to 64 codecs/],
    ['dynamic payload type without a name', () => parseStartRequest({ ...start, calleeMedia: { streams: [{ address: '10.0.0.1', port: 4000, codecs: [{ payloadType: 0 }, { payloadType: 96 }] }] } }), 'calleeMedia.streams[0].codecs[1].name', /required for payload type 96/],
    ['payload type out of range', () => parseStartRequest({ ...start, calleeMedia: { streams: [{ address: '10.0.0.1', port: 4000, codecs: [{ payloadType: 128 }] }] } }), 'calleeMedia.streams[0].codecs[0].payloadType', /0 to 127, got 128/],
    ['bad mode', () => parseStartRequest({ ...start, calleeMedia: { streams: [{ address: '10.0.0.1', port: 4000, mode: 'both', codecs: [{ payloadType: 0 }] }] } }), 'calleeMedia.streams[0].mode', /one of SENDRECV, SENDONLY, RECVONLY, INACTIVE/],
    ['media update without side', () => parseMediaRequest({ sdp: SDP }), 'side', /is required/],
    ['media update with a bad side', () => parseMediaRequest({ side: 'both', sdp: SDP }), 'side', /one of caller, callee/],
    ['media update without media', () => parseMediaRequest({ side: 'caller' }), '(body)', /exactly one of sdp or streams/],
    ['media update stream error names the top-level field', () => parseMediaRequest({ side: 'caller', streams: [{ address: 'x', port: 1, codecs: [{ payloadType: 0 }] }] }), 'streams[0].address', /IPv4 or IPv6/],
    ['answer with an unknown field', () => parseAnswerRequest({ media: {} }), 'media', /is not a field here/],
    ['stop with a bad endedBy', () => parseStopRequest({ endedBy: 'caller' }), 'endedBy', /one of CALLER, CALLEE, AGENT, TIMEOUT, UNKNOWN/],
    ['stop with a 2xx status', () => parseStopRequest({ status: 200 }), 'status', /from 300 to 699, got 200/],
  ];
  for (const [name, fn, field, message] of cases) test(`400 ${name}`, () => refused(fn, 400, field, message));

  test('answer and stop take an empty body', () => {
    assert.deepEqual(parseAnswerRequest({}), { timeUs: undefined, calleeMedia: undefined, callee: undefined });
    assert.deepEqual(parseStopRequest({}), { timeUs: undefined, endedBy: 'AGENT', reason: null, status: undefined });
  });

  test('fuzz: any JSON value either parses or is refused with AgentRequestError 400 and a field', () => {
    const mutate = fc.oneof(
      fc.jsonValue(),
      fc.record({ callId: fc.jsonValue(), caller: fc.oneof(fc.jsonValue(), fc.record({ uri: fc.oneof(fc.string(), fc.jsonValue()), address: fc.jsonValue() })), callee: fc.jsonValue(), callerMedia: fc.oneof(fc.jsonValue(), fc.record({ sdp: fc.string() }), fc.record({ streams: fc.array(fc.jsonValue()) })) }, { requiredKeys: [] }),
    );
    fc.assert(fc.property(mutate, (body) => {
      for (const parse of [parseStartRequest, parseMediaRequest, parseAnswerRequest, parseStopRequest]) {
        try {
          parse(body);
        } catch (e) {
          if (!(e instanceof AgentRequestError) || e.status !== 400 || e.field === null) throw e;
        }
      }
    }), { numRuns: 2000 });
  });
});
