/** LINKTYPE_* values (tcpdump.org/linktypes.html) as they appear in pcap and pcapng headers. */
export const LinkType = {
  /** BSD loopback: a 4-byte address family in the capturing host's byte order. */
  NULL: 0,
  ETHERNET: 1,
  /** Raw IP, version from the first nibble (DLT_RAW is 12 or 14 on some systems; files use 101). */
  RAW: 101,
  /** OpenBSD loopback: like NULL but the family is always big-endian. */
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

/** EtherType values this lib follows. */
export const EtherType = {
  IPV4: 0x0800,
  IPV6: 0x86dd,
  VLAN: 0x8100,
  QINQ: 0x88a8,
  /** Pre-standard QinQ TPID still sent by some switches. */
  QINQ_OLD: 0x9100,
  ARP: 0x0806,
} as const;

/** True for the TPIDs that introduce a VLAN tag (802.1Q, 802.1ad, pre-standard QinQ). */
export function isVlanTpid(etherType: number): boolean {
  return etherType === EtherType.VLAN || etherType === EtherType.QINQ || etherType === EtherType.QINQ_OLD;
}
