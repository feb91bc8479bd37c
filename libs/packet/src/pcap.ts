import { u16be, u16le, u32be, u32le, w16be, w16le, w32be, w32le } from './bytes';
import { Decoded } from './decoded';
import { CaptureFileError } from './errors';
import { LinkType } from './link-type';

// Classic libpcap file (draft-ietf-opsawg-pcap), fields in the writer's byte order:
//
//  0                   1                   2                   3
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |      Magic 0xa1b2c3d4 (µs) or 0xa1b23c4d (ns)                 |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Major Version (2)         |     Minor Version (4)         |
// |                    Reserved1 (thiszone)                       |
// |                    Reserved2 (sigfigs)                        |
// |                          SnapLen                              |
// | FCS |f|0 0 0 0 0 0 0 0 0 0 0 0|         LinkType              |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// then per packet:
// |                  Timestamp (Seconds)                          |
// |          Timestamp (Microseconds or Nanoseconds)              |
// |                  Captured Packet Length                       |
// |                  Original Packet Length                       |
// |                  Packet Data (captured length bytes) ...      |

export const PCAP_MAGIC_MICROS = 0xa1b2c3d4;
export const PCAP_MAGIC_NANOS = 0xa1b23c4d;
export const PCAP_MAGIC_OFFSET = 0;
export const PCAP_VERSION_MAJOR_OFFSET = 4;
export const PCAP_VERSION_MINOR_OFFSET = 6;
export const PCAP_SNAPLEN_OFFSET = 16;
export const PCAP_LINKTYPE_OFFSET = 20;
export const PCAP_LINKTYPE_MASK = 0xffff;
export const PCAP_GLOBAL_HEADER_LENGTH = 24;
export const PCAP_RECORD_TS_SEC_OFFSET = 0;
export const PCAP_RECORD_TS_FRAC_OFFSET = 4;
export const PCAP_RECORD_CAPLEN_OFFSET = 8;
export const PCAP_RECORD_ORIGLEN_OFFSET = 12;
export const PCAP_RECORD_HEADER_LENGTH = 16;
/** libpcap's MAXIMUM_SNAPLEN. */
export const PCAP_DEFAULT_SNAPLEN = 262144;

export interface PcapGlobalHeader {
  byteOrder: 'le' | 'be';
  resolution: 'us' | 'ns';
  versionMajor: number;
  versionMinor: number;
  snapLength: number;
  linkType: number;
}

/** The byte order and resolution a pcap magic announces, or null for another file. */
export function pcapMagic(buf: Uint8Array, offset = 0): { byteOrder: 'le' | 'be'; resolution: 'us' | 'ns' } | null {
  if (buf.length < offset + 4) return null;
  const le = u32le(buf, offset);
  const be = u32be(buf, offset);
  if (le === PCAP_MAGIC_MICROS) return { byteOrder: 'le', resolution: 'us' };
  if (le === PCAP_MAGIC_NANOS) return { byteOrder: 'le', resolution: 'ns' };
  if (be === PCAP_MAGIC_MICROS) return { byteOrder: 'be', resolution: 'us' };
  if (be === PCAP_MAGIC_NANOS) return { byteOrder: 'be', resolution: 'ns' };
  return null;
}

export function decodePcapGlobalHeader(buf: Uint8Array, offset = 0): Decoded<PcapGlobalHeader> {
  if (buf.length < offset + PCAP_GLOBAL_HEADER_LENGTH) throw new CaptureFileError('pcap header needs 24 bytes', 'truncated-header');
  const magic = pcapMagic(buf, offset);
  if (magic === null) throw new CaptureFileError('no pcap magic number', 'not-a-capture-file');
  const r16 = magic.byteOrder === 'le' ? u16le : u16be;
  const r32 = magic.byteOrder === 'le' ? u32le : u32be;
  return {
    value: {
      ...magic,
      versionMajor: r16(buf, offset + PCAP_VERSION_MAJOR_OFFSET),
      versionMinor: r16(buf, offset + PCAP_VERSION_MINOR_OFFSET),
      snapLength: r32(buf, offset + PCAP_SNAPLEN_OFFSET),
      linkType: r32(buf, offset + PCAP_LINKTYPE_OFFSET) & PCAP_LINKTYPE_MASK,
    },
    size: PCAP_GLOBAL_HEADER_LENGTH,
  };
}

export function encodedSizePcapGlobalHeader(_h: PcapGlobalHeader): number {
  return PCAP_GLOBAL_HEADER_LENGTH;
}

export function encodePcapGlobalHeader(h: PcapGlobalHeader, buf: Uint8Array, offset = 0): number {
  if (buf.length < offset + PCAP_GLOBAL_HEADER_LENGTH) throw new CaptureFileError('buffer too small for pcap header', 'buffer-too-small');
  const w16 = h.byteOrder === 'le' ? w16le : w16be;
  const w32 = h.byteOrder === 'le' ? w32le : w32be;
  buf.fill(0, offset, offset + PCAP_GLOBAL_HEADER_LENGTH);
  w32(buf, offset + PCAP_MAGIC_OFFSET, h.resolution === 'ns' ? PCAP_MAGIC_NANOS : PCAP_MAGIC_MICROS);
  w16(buf, offset + PCAP_VERSION_MAJOR_OFFSET, h.versionMajor);
  w16(buf, offset + PCAP_VERSION_MINOR_OFFSET, h.versionMinor);
  w32(buf, offset + PCAP_SNAPLEN_OFFSET, h.snapLength);
  w32(buf, offset + PCAP_LINKTYPE_OFFSET, h.linkType);
  return PCAP_GLOBAL_HEADER_LENGTH;
}

/** Options of PcapWriter. */
export interface PcapWriterOptions {
  /** LINKTYPE_* of every packet. Default 1 (Ethernet). */
  linkType?: number;
  /** Timestamp resolution of the file. Default 'us'. */
  resolution?: 'us' | 'ns';
  /** Default 'le' (what nearly every writer produces); 'be' for testing readers. */
  byteOrder?: 'le' | 'be';
  /** Snap length announced in the header. Default 262144. */
  snapLength?: number;
}

/**
 * Builds a classic pcap file in memory, packet by packet: what tests across the repo use to make
 * captures (tshark, tcpdump and this lib's decoder read it).
 */
export class PcapWriter {
  private readonly parts: Uint8Array[] = [];
  private readonly header: PcapGlobalHeader;
  private count = 0;

  constructor(options: PcapWriterOptions = {}) {
    this.header = {
      byteOrder: options.byteOrder ?? 'le',
      resolution: options.resolution ?? 'us',
      versionMajor: 2,
      versionMinor: 4,
      snapLength: options.snapLength ?? PCAP_DEFAULT_SNAPLEN,
      linkType: options.linkType ?? LinkType.ETHERNET,
    };
    const h = new Uint8Array(PCAP_GLOBAL_HEADER_LENGTH);
    encodePcapGlobalHeader(this.header, h);
    this.parts.push(h);
  }

  /** Packets written so far. */
  get packetCount(): number {
    return this.count;
  }

  /**
   * Appends one packet captured at tsSec + tsNanos (truncated to microseconds in a µs file).
   * `originalLength` defaults to data.length (pass more to record a snap-length cut).
   */
  write(data: Uint8Array, tsSec: number, tsNanos = 0, originalLength = data.length): this {
    const rec = new Uint8Array(PCAP_RECORD_HEADER_LENGTH + data.length);
    const w32 = this.header.byteOrder === 'le' ? w32le : w32be;
    w32(rec, PCAP_RECORD_TS_SEC_OFFSET, tsSec);
    w32(rec, PCAP_RECORD_TS_FRAC_OFFSET, this.header.resolution === 'ns' ? tsNanos : Math.floor(tsNanos / 1000));
    w32(rec, PCAP_RECORD_CAPLEN_OFFSET, data.length);
    w32(rec, PCAP_RECORD_ORIGLEN_OFFSET, originalLength);
    rec.set(data, PCAP_RECORD_HEADER_LENGTH);
    this.parts.push(rec);
    this.count++;
    return this;
  }

  /** The whole file so far. */
  toBytes(): Uint8Array {
    const total = this.parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}
