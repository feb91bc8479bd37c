import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEthernet, encodeEthernet, encodedSizeEthernet, EthernetHeader, PacketDecodeError } from './index';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));

describe('decodeEthernet', () => {
  const cases: Array<{ name: string; bytes: string; vlans: number[]; tpids: number[]; etherType: number; size: number }> = [
    { name: 'untagged IPv4', bytes: '020000000002 020000000001 0800', vlans: [], tpids: [], etherType: 0x0800, size: 14 },
    { name: '802.1Q tag, priority 5', bytes: '020000000002 020000000001 8100 a064 86dd', vlans: [100], tpids: [0x8100], etherType: 0x86dd, size: 18 },
    { name: 'QinQ 802.1ad outer + 802.1Q inner', bytes: '020000000002 020000000001 88a8 00c8 8100 0064 0800', vlans: [200, 100], tpids: [0x88a8, 0x8100], etherType: 0x0800, size: 22 },
    { name: 'pre-standard QinQ TPID 0x9100', bytes: '020000000002 020000000001 9100 0fff 8100 0001 0800', vlans: [4095, 1], tpids: [0x9100, 0x8100], etherType: 0x0800, size: 22 },
    { name: '802.3 length field passes through', bytes: '020000000002 020000000001 002e', vlans: [], tpids: [], etherType: 0x2e, size: 14 },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const { value, size } = decodeEthernet(hex(c.bytes + '45'));
      assert.equal(size, c.size);
      assert.equal(value.etherType, c.etherType);
      assert.deepEqual(value.vlans.map((v) => v.id), c.vlans);
      assert.deepEqual(value.vlans.map((v) => v.tpid), c.tpids);
      assert.equal(value.src, '02:00:00:00:00:01');
    });
  }
  test('priority and DEI bits of a tag', () => {
    const v = decodeEthernet(hex('020000000002 020000000001 8100 b064 0800')).value.vlans[0];
    assert.deepEqual(v, { tpid: 0x8100, id: 100, priority: 5, dropEligible: true });
  });
  const bad: Array<[string, string, string]> = [
    ['shorter than 14 bytes', '0200000000020200000000010', 'truncated-header'],
    ['tag without the EtherType after it', '020000000002 020000000001 8100 0064', 'truncated-header'],
    ['nine stacked tags', '020000000002 020000000001' + ' 8100 0001'.repeat(9) + ' 0800', 'too-many-vlan-tags'],
  ];
  for (const [name, bytes, reason] of bad) {
    test(`rejects ${name}`, () => assert.throws(() => decodeEthernet(hex(bytes)), (e: unknown) => e instanceof PacketDecodeError && e.reason === reason));
  }
});

test('encodeEthernet round trips with tags', () => {
  const h: EthernetHeader = {
    dst: 'aa:bb:cc:dd:ee:ff',
    src: '00:11:22:33:44:55',
    vlans: [
      { tpid: 0x88a8, id: 10, priority: 0, dropEligible: false },
      { tpid: 0x8100, id: 4000, priority: 7, dropEligible: true },
    ],
    etherType: 0x86dd,
  };
  const buf = new Uint8Array(encodedSizeEthernet(h));
  assert.equal(encodeEthernet(h, buf), 22);
  assert.deepEqual(decodeEthernet(buf), { value: h, size: 22 });
});
