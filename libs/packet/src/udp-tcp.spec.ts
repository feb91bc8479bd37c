import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeTcp, decodeUdp, encodeTcp, encodeUdp, encodedSizeTcp, PacketDecodeError, TcpFlags, TcpHeader } from './index';

describe('UDP header', () => {
  test('round trip', () => {
    const h = { srcPort: 5060, dstPort: 40000, length: 108, checksum: 0xbeef };
    const buf = new Uint8Array(8);
    encodeUdp(h, buf);
    assert.deepEqual(decodeUdp(buf), { value: h, size: 8 });
  });
  test('rejects a length below 8', () => {
    assert.throws(() => decodeUdp(Uint8Array.from([0, 1, 0, 2, 0, 7, 0, 0])), (e: unknown) => e instanceof PacketDecodeError && e.reason === 'bad-udp-length');
  });
  test('rejects 7 bytes', () => assert.throws(() => decodeUdp(new Uint8Array(7)), PacketDecodeError));
});

describe('TCP header', () => {
  const h: TcpHeader = {
    srcPort: 5060,
    dstPort: 49152,
    seq: 0xfffffff0,
    ack: 12345,
    headerLength: 24,
    flags: TcpFlags.SYN | TcpFlags.ACK,
    window: 29200,
    checksum: 0x1234,
    urgent: 0,
    options: Uint8Array.from([2, 4, 5, 0xb4]),
  };
  test('round trip with an MSS option', () => {
    const buf = new Uint8Array(encodedSizeTcp(h));
    encodeTcp(h, buf);
    const d = decodeTcp(buf);
    assert.equal(d.size, 24);
    assert.deepEqual({ ...d.value, options: [...d.value.options] }, { ...h, options: [...h.options] });
  });
  test('rejects a data offset below 5 words', () => {
    const buf = new Uint8Array(20);
    buf[12] = 0x40;
    assert.throws(() => decodeTcp(buf), (e: unknown) => e instanceof PacketDecodeError && e.reason === 'bad-header-length');
  });
  test('rejects options beyond the captured bytes', () => {
    const buf = new Uint8Array(20);
    buf[12] = 0xf0;
    assert.throws(() => decodeTcp(buf), (e: unknown) => e instanceof PacketDecodeError && e.reason === 'truncated-header');
  });
});
