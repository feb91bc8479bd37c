import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  deterministicEventId, eventType, EventValidationError, sampleEvents, TOPIC_SCHEMAS, TOPICS, validateEvent,
  type TopicName,
} from './index';

describe('events', () => {
  const samples = sampleEvents();
  for (const topic of Object.values(TOPICS) as TopicName[]) {
    test(`a ${TOPIC_SCHEMAS[topic]} on ${topic} is valid and survives an Avro round trip`, () => {
      const value = samples[topic];
      validateEvent(TOPIC_SCHEMAS[topic], value);
      const type = eventType(TOPIC_SCHEMAS[topic]);
      // JSON form: avsc decodes records as class instances; Buffers compare by their bytes.
      const json = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;
      assert.deepEqual(json(type.fromBuffer(type.toBuffer(value))), json(value));
    });
  }

  const invalid: Array<{ name: string; mutate: (e: ReturnType<typeof sampleEvents>) => unknown; topic: TopicName; path: string }> = [
    { name: 'missing nested string', topic: TOPICS.callControl, path: 'caller.uri',
      mutate: (e) => ({ ...e[TOPICS.callControl], caller: { ...e[TOPICS.callControl].caller, uri: 42 } }) },
    { name: 'unknown enum symbol', topic: TOPICS.callControl, path: 'kind',
      mutate: (e) => ({ ...e[TOPICS.callControl], kind: 'RINGING' }) },
    { name: 'string where bytes belong, inside an array', topic: TOPICS.rtp, path: 'packets[1].data',
      mutate: (e) => { const b = e[TOPICS.rtp]; return { ...b, packets: [b.packets[0], { captureTimeUs: 1, data: 'x' }] }; } },
    { name: 'fractional long', topic: TOPICS.recordings, path: 'captureTimeUs',
      mutate: (e) => ({ ...e[TOPICS.recordings], captureTimeUs: 1.5 }) },
  ];
  for (const c of invalid) {
    test(`validation names the field at fault: ${c.name}`, () => {
      assert.throws(() => validateEvent(TOPIC_SCHEMAS[c.topic], c.mutate(sampleEvents())), (e: unknown) => {
        assert.ok(e instanceof EventValidationError);
        assert.equal(e.fieldPath, c.path);
        assert.match(e.message, new RegExp(c.path.replace(/[[\].]/g, '\\$&')));
        assert.equal(e.reason, 'invalid-event');
        return true;
      });
    });
  }

  test('deterministicEventId depends on every part and on their boundaries', () => {
    assert.equal(deterministicEventId('call-1', 3), deterministicEventId('call-1', 3));
    assert.notEqual(deterministicEventId('call-1', 3), deterministicEventId('call-1', 4));
    assert.notEqual(deterministicEventId('ab', 'c'), deterministicEventId('a', 'bc'));
    assert.match(deterministicEventId('x'), /^[0-9a-f]{32}$/);
  });
});
