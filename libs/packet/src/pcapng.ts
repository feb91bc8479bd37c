// pcapng (draft-ietf-opsawg-pcapng). Every block:
//
//  0                   1                   2                   3
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                          Block Type                           |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                      Block Total Length                       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// /                          Block Body                           /
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                      Block Total Length                       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Section Header Block body: Byte-Order Magic 0x1A2B3C4D (its byte order is the section's),
//   Major (1), Minor, Section Length (8), options.
// Interface Description Block body: LinkType (2), Reserved (2), SnapLen (4), options
//   (if_tsresol = 9: one byte, 10^-n or, with the top bit set, 2^-n; default 10^-6;
//    if_tsoffset = 14: 8 bytes of seconds added to every timestamp).
// Enhanced Packet Block body: Interface ID (4), Timestamp high (4), low (4), Captured Length (4),
//   Original Length (4), Packet Data padded to 4, options.
// Simple Packet Block body: Original Length (4), Packet Data; no timestamp, interface 0.
// Obsolete Packet Block (2): Interface ID (2), Drops (2), Timestamp high, low, Captured, Original, Data.
// Options: Code (2), Length (2), Value padded to 4; code 0 ends them.

export const PCAPNG_SHB_TYPE = 0x0a0d0d0a;
export const PCAPNG_IDB_TYPE = 0x00000001;
export const PCAPNG_OPB_TYPE = 0x00000002;
export const PCAPNG_SPB_TYPE = 0x00000003;
export const PCAPNG_EPB_TYPE = 0x00000006;
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
export const PCAPNG_BLOCK_TYPE_OFFSET = 0;
export const PCAPNG_BLOCK_LENGTH_OFFSET = 4;
export const PCAPNG_BLOCK_BODY_OFFSET = 8;
/** Type, length, trailing length. */
export const PCAPNG_BLOCK_OVERHEAD = 12;
export const PCAPNG_SHB_MAGIC_OFFSET = 8;
export const PCAPNG_SHB_MIN_LENGTH = 28;
export const PCAPNG_IDB_LINKTYPE_OFFSET = 8;
export const PCAPNG_IDB_SNAPLEN_OFFSET = 12;
export const PCAPNG_IDB_OPTIONS_OFFSET = 16;
export const PCAPNG_IDB_MIN_LENGTH = 20;
export const PCAPNG_EPB_INTERFACE_OFFSET = 8;
export const PCAPNG_EPB_TS_HIGH_OFFSET = 12;
export const PCAPNG_EPB_TS_LOW_OFFSET = 16;
export const PCAPNG_EPB_CAPLEN_OFFSET = 20;
export const PCAPNG_EPB_ORIGLEN_OFFSET = 24;
export const PCAPNG_EPB_DATA_OFFSET = 28;
export const PCAPNG_EPB_MIN_LENGTH = 32;
export const PCAPNG_OPB_INTERFACE_OFFSET = 8;
export const PCAPNG_SPB_ORIGLEN_OFFSET = 8;
export const PCAPNG_SPB_DATA_OFFSET = 12;
export const PCAPNG_SPB_MIN_LENGTH = 16;
export const PCAPNG_OPTION_END = 0;
export const PCAPNG_OPTION_HEADER_LENGTH = 4;
export const PCAPNG_IF_TSRESOL = 9;
export const PCAPNG_IF_TSOFFSET = 14;
export const PCAPNG_TSRESOL_BINARY_FLAG = 0x80;
export const PCAPNG_TSRESOL_EXPONENT_MASK = 0x7f;
export const PCAPNG_DEFAULT_TSRESOL = 6;

/** Pads a length to the 32-bit boundary pcapng aligns every field to. */
export function pcapngPad4(n: number): number {
  return (n + 3) & ~3;
}

/** An interface of the current section, as the IDB described it. */
export interface PcapngInterface {
  linkType: number;
  snapLength: number;
  /** The raw if_tsresol byte. */
  tsResolution: number;
  /** if_tsoffset, seconds. */
  tsOffsetSeconds: number;
}

const TWO_POW_32 = 0x100000000;
const TWO_POW_16 = 0x10000;

/** Where splitTimestamp writes, so converting a timestamp allocates nothing. */
export interface SplitTime {
  tsSec: number;
  tsNanos: number;
}

/**
 * Converts a 64-bit pcapng timestamp (high, low words) in units of `tsResolution` into whole
 * seconds and nanoseconds, exactly. Decimal resolutions up to 10^-9 use a long division over
 * 16-bit limbs in doubles (no bigint); finer or binary resolutions go through bigint.
 */
export function splitTimestamp(high: number, low: number, tsResolution: number, out: SplitTime): void {
  const exp = tsResolution & PCAPNG_TSRESOL_EXPONENT_MASK;
  if ((tsResolution & PCAPNG_TSRESOL_BINARY_FLAG) === 0 && exp <= 9) {
    const divisor = 10 ** exp;
    let q = 0;
    let r = 0;
    for (let i = 0; i < 4; i++) {
      const limb = i === 0 ? high >>> 16 : i === 1 ? high & 0xffff : i === 2 ? low >>> 16 : low & 0xffff;
      const cur = r * TWO_POW_16 + limb;
      const qd = Math.floor(cur / divisor);
      r = cur - qd * divisor;
      q = q * TWO_POW_16 + qd;
    }
    out.tsSec = q;
    out.tsNanos = r * 10 ** (9 - exp);
    return;
  }
  const ts = BigInt(high) * BigInt(TWO_POW_32) + BigInt(low);
  const units = (tsResolution & PCAPNG_TSRESOL_BINARY_FLAG) === 0 ? 10n ** BigInt(exp) : 1n << BigInt(exp);
  out.tsSec = Number(ts / units);
  out.tsNanos = Number(((ts % units) * 1_000_000_000n) / units);
}
