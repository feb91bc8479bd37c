import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RTP_AVP_STATIC_PAYLOAD_TYPES, staticPayloadType } from './index';

test('RFC 3551 static payload types: audio of table 4, video of table 5, nothing dynamic or unassigned', () => {
  assert.deepEqual(staticPayloadType(0), { payloadType: 0, encodingName: 'PCMU', clockRate: 8000, channels: 1 });
  assert.deepEqual(staticPayloadType(9), { payloadType: 9, encodingName: 'G722', clockRate: 8000, channels: 1 });
  assert.deepEqual(staticPayloadType(10), { payloadType: 10, encodingName: 'L16', clockRate: 44100, channels: 2 });
  assert.deepEqual(staticPayloadType(11), { payloadType: 11, encodingName: 'L16', clockRate: 44100, channels: 1 });
  assert.deepEqual(staticPayloadType(13), { payloadType: 13, encodingName: 'CN', clockRate: 8000, channels: 1 });
  for (const pt of [1, 2, 19, 24, 27, 35, 72, 95, 96, 101, 127]) assert.equal(staticPayloadType(pt), undefined, `PT ${pt}`);
  for (const [pt, t] of RTP_AVP_STATIC_PAYLOAD_TYPES) assert.equal(t.payloadType, pt);
  assert.equal(RTP_AVP_STATIC_PAYLOAD_TYPES.size, 24);
});
