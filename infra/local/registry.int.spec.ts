// The local schema registry (Apicurio Registry, Confluent API) as the apps use it, through
// @kafkajs/confluent-schema-registry: BACKWARD compatibility enforced per subject, incompatible
// changes rejected, and ids that a second process (a fresh client, empty cache) resolves to the
// same writer schema. Needs the local stack: `infra/local/stack up`.
//   node tools/test.mjs --integration infra/local
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SchemaRegistry, SchemaType, COMPATIBILITY } from '@kafkajs/confluent-schema-registry';

const host = `http://127.0.0.1:${process.env.EARSHOT_REGISTRY_PORT ?? '8081'}/apis/ccompat/v7`;
const subject = 't-value';
const copySubject = 't-copy-value';

/** v1: the first shape of the record. */
const v1 = {
  type: 'record' as const,
  name: 'T',
  namespace: 'earshot.test',
  fields: [
    { name: 'callId', type: 'string' },
    { name: 'packets', type: 'long' },
  ],
};
/** v2: adds a field with a default, which a BACKWARD reader can fill in for v1 data. */
const v2 = { ...v1, fields: [...v1.fields, { name: 'codec', type: 'string', default: 'PCMU' }] };
/** v3 (bad): adds a required field with no default; a v3 reader cannot read v2 data. */
const v3Incompatible = { ...v2, fields: [...v2.fields, { name: 'user', type: 'string' }] };

const avro = (schema: object) => ({ type: SchemaType.AVRO as const, schema: JSON.stringify(schema) });
const backward = (name: string) => ({ subject: name, compatibility: COMPATIBILITY.BACKWARD });

/** A raw call to the Confluent API (for what the client library does not expose). */
async function rest(method: string, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${host}${path}`, { method, headers: { accept: 'application/json' } });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : (JSON.parse(text) as unknown) };
}

/** Removes a subject and its versions for good, so every run starts from an empty subject. */
async function dropSubject(name: string): Promise<void> {
  const soft = await rest('DELETE', `/subjects/${name}`);
  assert.ok([200, 404].includes(soft.status), `DELETE /subjects/${name} answered ${soft.status}`);
  const hard = await rest('DELETE', `/subjects/${name}?permanent=true`);
  assert.ok([200, 404].includes(hard.status), `DELETE /subjects/${name}?permanent=true answered ${hard.status}`);
}

/** The schema id a Confluent-framed message carries (magic byte 0, then a big-endian int32). */
function wireId(buf: Buffer): number {
  assert.ok(buf.length >= 5, 'message shorter than the 5-byte Confluent header');
  assert.equal(buf[0], 0, 'magic byte');
  return buf.readInt32BE(1);
}

/** The HTTP status of a rejected registry call, as @kafkajs/confluent-schema-registry reports it. */
function statusOf(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number') {
    return err.status;
  }
  return undefined;
}

describe('schema registry (Apicurio, Confluent API) with @kafkajs/confluent-schema-registry', () => {
  let ids: { v1: number; v2: number } = { v1: 0, v2: 0 };

  before(async () => {
    const subjects = await rest('GET', '/subjects');
    assert.equal(subjects.status, 200, `registry at ${host} is not answering; run infra/local/stack up`);
    await dropSubject(subject);
    await dropSubject(copySubject);
  });

  after(async () => {
    await dropSubject(subject);
    await dropSubject(copySubject);
  });

  test('registers v1 under t-value and sets the subject to BACKWARD', async () => {
    const registry = new SchemaRegistry({ host });
    const { id } = await registry.register(avro(v1), backward(subject));
    assert.ok(Number.isInteger(id) && id > 0, `id ${id}`);
    ids = { ...ids, v1: id };
    const config = await rest('GET', `/config/${subject}`);
    assert.equal(config.status, 200);
    assert.deepEqual(config.body, { compatibilityLevel: 'BACKWARD' });
  });

  test('accepts a BACKWARD-compatible change (new field with a default) as a new version and id', async () => {
    const registry = new SchemaRegistry({ host });
    const { id } = await registry.register(avro(v2), backward(subject));
    assert.notEqual(id, ids.v1);
    ids = { ...ids, v2: id };
    assert.deepEqual((await rest('GET', `/subjects/${subject}/versions`)).body, [1, 2]);
  });

  test('rejects an incompatible change (required field without default) and keeps the versions it had', async () => {
    const registry = new SchemaRegistry({ host });
    await assert.rejects(registry.register(avro(v3Incompatible), backward(subject)), (err: unknown) => {
      assert.equal(statusOf(err), 409, `expected HTTP 409 (incompatible), got ${String(err)}`);
      return true;
    });
    assert.deepEqual((await rest('GET', `/subjects/${subject}/versions`)).body, [1, 2]);
    const latest = await rest('GET', `/subjects/${subject}/versions/latest`);
    assert.equal(latest.status, 200);
    assert.equal((latest.body as { id?: unknown }).id, ids.v2);
  });

  test('registering the same schema again returns the same id', async () => {
    const registry = new SchemaRegistry({ host });
    assert.equal((await registry.register(avro(v2), backward(subject))).id, ids.v2);
    assert.equal(await registry.getRegistryIdBySchema(subject, avro(v1)), ids.v1);
  });

  test('ids are content ids: the same schema under another subject gets the same id (as in Confluent)', async () => {
    const registry = new SchemaRegistry({ host });
    const { id } = await registry.register(avro(v1), backward(copySubject));
    assert.equal(id, ids.v1);
  });

  test('encode in one client, decode in another with an empty cache: same value, same writer schema', async () => {
    const producer = new SchemaRegistry({ host });
    const consumer = new SchemaRegistry({ host }); // stands for another process: no shared cache
    const oldMsg = await producer.encode(ids.v1, { callId: 'c-1', packets: 7 });
    const newMsg = await producer.encode(ids.v2, { callId: 'c-2', packets: 8, codec: 'PCMA' });
    assert.equal(wireId(oldMsg), ids.v1);
    assert.equal(wireId(newMsg), ids.v2);

    assert.deepEqual({ ...(await consumer.decode(oldMsg)) }, { callId: 'c-1', packets: 7 });
    assert.deepEqual({ ...(await consumer.decode(newMsg)) }, { callId: 'c-2', packets: 8, codec: 'PCMA' });

    // The id in the message resolves to the very schema registered under the subject.
    const byId = await rest('GET', `/schemas/ids/${ids.v2}`);
    const byVersion = await rest('GET', `/subjects/${subject}/versions/2`);
    assert.equal(byId.status, 200);
    assert.deepEqual(
      JSON.parse((byId.body as { schema: string }).schema),
      JSON.parse((byVersion.body as { schema: string }).schema),
    );
  });

  test('a v1 message read with the v2 reader schema gets the default (BACKWARD in practice)', async () => {
    const registry = new SchemaRegistry({ host });
    const msg = await registry.encode(ids.v1, { callId: 'c-3', packets: 1 });
    const value = await registry.decode(msg, { [SchemaType.AVRO]: { readerSchema: v2 } });
    assert.deepEqual({ ...value }, { callId: 'c-3', packets: 1, codec: 'PCMU' });
  });

  test('a value that does not fit the schema is refused at encode time', async () => {
    const registry = new SchemaRegistry({ host });
    await assert.rejects(registry.encode(ids.v1, { callId: 42 }));
  });
});
