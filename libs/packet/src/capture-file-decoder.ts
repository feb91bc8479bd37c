import { ReasonCounters } from '@earshot/errors';
import { u16be, u16le, u32be, u32le } from './bytes';
import { CaptureRecord } from './capture-record';
import { CaptureFileError } from './errors';
import {
  PCAP_GLOBAL_HEADER_LENGTH,
  PCAP_RECORD_CAPLEN_OFFSET,
  PCAP_RECORD_HEADER_LENGTH,
  PCAP_RECORD_ORIGLEN_OFFSET,
  PCAP_RECORD_TS_FRAC_OFFSET,
  PCAP_RECORD_TS_SEC_OFFSET,
  decodePcapGlobalHeader,
  pcapMagic,
} from './pcap';
import {
  PCAPNG_BLOCK_LENGTH_OFFSET,
  PCAPNG_BLOCK_OVERHEAD,
  PCAPNG_BLOCK_TYPE_OFFSET,
  PCAPNG_BYTE_ORDER_MAGIC,
  PCAPNG_DEFAULT_TSRESOL,
  PCAPNG_EPB_CAPLEN_OFFSET,
  PCAPNG_EPB_DATA_OFFSET,
  PCAPNG_EPB_INTERFACE_OFFSET,
  PCAPNG_EPB_MIN_LENGTH,
  PCAPNG_EPB_ORIGLEN_OFFSET,
  PCAPNG_EPB_TS_HIGH_OFFSET,
  PCAPNG_EPB_TS_LOW_OFFSET,
  PCAPNG_EPB_TYPE,
  PCAPNG_IDB_LINKTYPE_OFFSET,
  PCAPNG_IDB_MIN_LENGTH,
  PCAPNG_IDB_OPTIONS_OFFSET,
  PCAPNG_IDB_SNAPLEN_OFFSET,
  PCAPNG_IDB_TYPE,
  PCAPNG_IF_TSOFFSET,
  PCAPNG_IF_TSRESOL,
  PCAPNG_OPB_INTERFACE_OFFSET,
  PCAPNG_OPB_TYPE,
  PCAPNG_OPTION_END,
  PCAPNG_OPTION_HEADER_LENGTH,
  PCAPNG_SHB_MAGIC_OFFSET,
  PCAPNG_SHB_MIN_LENGTH,
  PCAPNG_SHB_TYPE,
  PCAPNG_SPB_DATA_OFFSET,
  PCAPNG_SPB_MIN_LENGTH,
  PCAPNG_SPB_ORIGLEN_OFFSET,
  PCAPNG_SPB_TYPE,
  PcapngInterface,
  SplitTime,
  pcapngPad4,
  splitTimestamp,
} from './pcapng';

/** Options of CaptureFileDecoder. */
export interface CaptureFileDecoderOptions {
  /**
   * Largest packet record or pcapng block accepted, in bytes; a larger length means a corrupt
   * file (it would otherwise make the decoder buffer gigabytes). Default 16 MiB.
   */
  maxRecordLength?: number;
}

const NANOS_PER_SECOND = 1_000_000_000;
const MICROS_TO_NANOS = 1000;

type State = 'magic' | 'pcap-header' | 'pcap' | 'pcapng';

/**
 * Decodes a pcap or pcapng file pushed in chunks of any size, so a file of any length streams
 * through a bounded buffer. The format is recognised from the first bytes.
 *
 * Records are delivered to the callback as soon as they are complete; their data is a view into
 * the chunk (or, for a record split across chunks, into a buffer joined for it). A corrupt file
 * throws CaptureFileError (`not-a-capture-file`, `bad-block-length`, `record-too-large`, ...) after
 * every record before the bad spot was delivered. Skipped pcapng blocks and packets are counted
 * in `counters` (`skipped-blocks`, `skipped.unknown-interface`, `skipped.bad-packet-length`).
 */
export class CaptureFileDecoder {
  readonly counters = new ReasonCounters();
  private readonly maxRecord: number;
  private state: State = 'magic';
  private parts: Uint8Array[] = [];
  private partsLength = 0;
  /** Bytes that must be buffered before parsing can make progress. */
  private needed = 4;
  private failure: CaptureFileError | null = null;
  private seenBytes = 0;
  // pcap
  private pcapLittleEndian = true;
  private pcapNanos = false;
  private pcapLinkType = 0;
  // pcapng
  private ngLittleEndian = true;
  private interfaces: PcapngInterface[] = [];
  private ngBlocks = 0;
  private readonly time: SplitTime = { tsSec: 0, tsNanos: 0 };

  constructor(options: CaptureFileDecoderOptions = {}) {
    this.maxRecord = options.maxRecordLength ?? 16 * 1024 * 1024;
  }

  /** 'pcap' or 'pcapng' once recognised, else null. */
  get format(): 'pcap' | 'pcapng' | null {
    return this.state === 'magic' ? null : this.state === 'pcapng' ? 'pcapng' : 'pcap';
  }

  /** Link type of a pcap file (pcapng files carry one per interface), once the header was read. */
  get linkType(): number | null {
    return this.state === 'pcap' ? this.pcapLinkType : null;
  }

  /** Decodes what `chunk` completes, calling `onRecord` for each packet in file order. */
  push(chunk: Uint8Array, onRecord: (record: CaptureRecord) => void): void {
    if (this.failure !== null) throw this.failure;
    this.seenBytes += chunk.length;
    if (chunk.length === 0) return;
    let buf: Uint8Array;
    if (this.partsLength === 0) buf = chunk;
    else {
      this.parts.push(chunk);
      this.partsLength += chunk.length;
      if (this.partsLength < this.needed) return;
      buf = join(this.parts, this.partsLength);
    }
    this.parts = [];
    this.partsLength = 0;
    let pos = 0;
    try {
      pos = this.parse(buf, onRecord);
    } catch (e) {
      if (e instanceof CaptureFileError) this.failure = e;
      throw e;
    }
    if (pos < buf.length) {
      this.parts.push(buf.subarray(pos));
      this.partsLength = buf.length - pos;
    }
  }

  /** Says the file ended: throws CaptureFileError if it ended inside a header or record. */
  end(): void {
    if (this.failure !== null) throw this.failure;
    if (this.state === 'magic' || this.state === 'pcap-header') {
      throw new CaptureFileError(
        this.seenBytes === 0 ? 'empty file: not a capture file' : `file of ${this.seenBytes} bytes ends inside its header`,
        this.seenBytes === 0 ? 'not-a-capture-file' : 'truncated-header',
      );
    }
    if (this.partsLength > 0) {
      throw new CaptureFileError(
        `file ends inside a ${this.state} record: ${this.partsLength} bytes of at least ${this.needed} (the records before it were read)`,
        'truncated-record',
      );
    }
  }

  /** Parses complete units from buf; returns the offset of the first byte not consumed and sets `needed`. */
  private parse(buf: Uint8Array, onRecord: (record: CaptureRecord) => void): number {
    let pos = 0;
    for (;;) {
      const left = buf.length - pos;
      switch (this.state) {
        case 'magic': {
          if (left < 4) return this.need(4, pos);
          if (pcapMagic(buf, pos) !== null) this.state = 'pcap-header';
          else if (u32le(buf, pos) === PCAPNG_SHB_TYPE) this.state = 'pcapng';
          else throw new CaptureFileError('neither a pcap nor a pcapng file (unknown magic number)', 'not-a-capture-file');
          continue;
        }
        case 'pcap-header': {
          if (left < PCAP_GLOBAL_HEADER_LENGTH) return this.need(PCAP_GLOBAL_HEADER_LENGTH, pos);
          const h = decodePcapGlobalHeader(buf, pos).value;
          this.pcapLittleEndian = h.byteOrder === 'le';
          this.pcapNanos = h.resolution === 'ns';
          this.pcapLinkType = h.linkType;
          this.state = 'pcap';
          pos += PCAP_GLOBAL_HEADER_LENGTH;
          continue;
        }
        case 'pcap': {
          if (left < PCAP_RECORD_HEADER_LENGTH) return this.need(PCAP_RECORD_HEADER_LENGTH, pos);
          const le = this.pcapLittleEndian;
          const capturedLength = le ? u32le(buf, pos + PCAP_RECORD_CAPLEN_OFFSET) : u32be(buf, pos + PCAP_RECORD_CAPLEN_OFFSET);
          if (capturedLength > this.maxRecord) {
            throw new CaptureFileError(`pcap record of ${capturedLength} bytes exceeds the ${this.maxRecord}-byte limit (corrupt file?)`, 'record-too-large');
          }
          const size = PCAP_RECORD_HEADER_LENGTH + capturedLength;
          if (left < size) return this.need(size, pos);
          let tsSec = le ? u32le(buf, pos + PCAP_RECORD_TS_SEC_OFFSET) : u32be(buf, pos + PCAP_RECORD_TS_SEC_OFFSET);
          let tsNanos = le ? u32le(buf, pos + PCAP_RECORD_TS_FRAC_OFFSET) : u32be(buf, pos + PCAP_RECORD_TS_FRAC_OFFSET);
          if (!this.pcapNanos) tsNanos *= MICROS_TO_NANOS;
          if (tsNanos >= NANOS_PER_SECOND) {
            // Some writers emit 1,000,000 µs instead of carrying into the seconds.
            tsSec += Math.floor(tsNanos / NANOS_PER_SECOND);
            tsNanos %= NANOS_PER_SECOND;
          }
          onRecord({
            linkType: this.pcapLinkType,
            tsSec,
            tsNanos,
            capturedLength,
            originalLength: le ? u32le(buf, pos + PCAP_RECORD_ORIGLEN_OFFSET) : u32be(buf, pos + PCAP_RECORD_ORIGLEN_OFFSET),
            data: buf.subarray(pos + PCAP_RECORD_HEADER_LENGTH, pos + size),
            interfaceId: 0,
          });
          pos += size;
          continue;
        }
        case 'pcapng': {
          if (left < PCAPNG_BLOCK_OVERHEAD) return this.need(PCAPNG_BLOCK_OVERHEAD, pos);
          const type = this.ng32(buf, pos + PCAPNG_BLOCK_TYPE_OFFSET);
          if (type === PCAPNG_SHB_TYPE) {
            const magicLe = u32le(buf, pos + PCAPNG_SHB_MAGIC_OFFSET);
            if (magicLe === PCAPNG_BYTE_ORDER_MAGIC) this.ngLittleEndian = true;
            else if (u32be(buf, pos + PCAPNG_SHB_MAGIC_OFFSET) === PCAPNG_BYTE_ORDER_MAGIC) this.ngLittleEndian = false;
            else throw new CaptureFileError('pcapng section header without its byte-order magic', this.ngBlocks === 0 ? 'not-a-capture-file' : 'bad-byte-order-magic');
          }
          const length = this.ng32(buf, pos + PCAPNG_BLOCK_LENGTH_OFFSET);
          if (length < PCAPNG_BLOCK_OVERHEAD || length % 4 !== 0) throw new CaptureFileError(`pcapng block length ${length} is not a multiple of 4 from 12`, 'bad-block-length');
          if (length > this.maxRecord + 256) throw new CaptureFileError(`pcapng block of ${length} bytes exceeds the limit (corrupt file?)`, 'record-too-large');
          if (left < length) return this.need(length, pos);
          if (this.ng32(buf, pos + length - 4) !== length) throw new CaptureFileError('pcapng block lengths at its start and end differ', 'bad-block-length');
          this.block(type, buf.subarray(pos, pos + length), onRecord);
          this.ngBlocks++;
          pos += length;
          continue;
        }
      }
    }
  }

  private need(bytes: number, pos: number): number {
    this.needed = bytes;
    return pos;
  }

  private ng32(b: Uint8Array, o: number): number {
    return this.ngLittleEndian ? u32le(b, o) : u32be(b, o);
  }

  private ng16(b: Uint8Array, o: number): number {
    return this.ngLittleEndian ? u16le(b, o) : u16be(b, o);
  }

  /** Handles one complete pcapng block (b is exactly the block). */
  private block(type: number, b: Uint8Array, onRecord: (record: CaptureRecord) => void): void {
    switch (type) {
      case PCAPNG_SHB_TYPE:
        if (b.length < PCAPNG_SHB_MIN_LENGTH) throw new CaptureFileError('pcapng section header too short', 'bad-block-length');
        this.interfaces = [];
        return;
      case PCAPNG_IDB_TYPE:
        if (b.length < PCAPNG_IDB_MIN_LENGTH) throw new CaptureFileError('pcapng interface block too short', 'bad-block-length');
        this.interfaces.push(this.interfaceOf(b));
        return;
      case PCAPNG_EPB_TYPE:
      case PCAPNG_OPB_TYPE: {
        if (b.length < PCAPNG_EPB_MIN_LENGTH) return this.skip('bad-packet-length');
        const id = type === PCAPNG_EPB_TYPE ? this.ng32(b, PCAPNG_EPB_INTERFACE_OFFSET) : this.ng16(b, PCAPNG_OPB_INTERFACE_OFFSET);
        const itf = this.interfaces[id];
        if (itf === undefined) return this.skip('unknown-interface');
        const capturedLength = this.ng32(b, PCAPNG_EPB_CAPLEN_OFFSET);
        if (PCAPNG_EPB_DATA_OFFSET + capturedLength > b.length - 4) return this.skip('bad-packet-length');
        splitTimestamp(this.ng32(b, PCAPNG_EPB_TS_HIGH_OFFSET), this.ng32(b, PCAPNG_EPB_TS_LOW_OFFSET), itf.tsResolution, this.time);
        onRecord({
          linkType: itf.linkType,
          tsSec: this.time.tsSec + itf.tsOffsetSeconds,
          tsNanos: this.time.tsNanos,
          capturedLength,
          originalLength: this.ng32(b, PCAPNG_EPB_ORIGLEN_OFFSET),
          data: b.subarray(PCAPNG_EPB_DATA_OFFSET, PCAPNG_EPB_DATA_OFFSET + capturedLength),
          interfaceId: id,
        });
        return;
      }
      case PCAPNG_SPB_TYPE: {
        const itf = this.interfaces[0];
        if (itf === undefined) return this.skip('unknown-interface');
        if (b.length < PCAPNG_SPB_MIN_LENGTH) return this.skip('bad-packet-length');
        const originalLength = this.ng32(b, PCAPNG_SPB_ORIGLEN_OFFSET);
        let capturedLength = Math.min(originalLength, b.length - PCAPNG_SPB_MIN_LENGTH);
        if (itf.snapLength > 0) capturedLength = Math.min(capturedLength, itf.snapLength);
        onRecord({
          linkType: itf.linkType,
          tsSec: 0,
          tsNanos: 0,
          capturedLength,
          originalLength,
          data: b.subarray(PCAPNG_SPB_DATA_OFFSET, PCAPNG_SPB_DATA_OFFSET + capturedLength),
          interfaceId: 0,
        });
        return;
      }
      default:
        this.counters.inc('skipped-blocks');
    }
  }

  private skip(reason: string): void {
    this.counters.inc(`skipped.${reason}`);
  }

  private interfaceOf(b: Uint8Array): PcapngInterface {
    const itf: PcapngInterface = {
      linkType: this.ng16(b, PCAPNG_IDB_LINKTYPE_OFFSET),
      snapLength: this.ng32(b, PCAPNG_IDB_SNAPLEN_OFFSET),
      tsResolution: PCAPNG_DEFAULT_TSRESOL,
      tsOffsetSeconds: 0,
    };
    const end = b.length - 4;
    let o = PCAPNG_IDB_OPTIONS_OFFSET;
    while (o + PCAPNG_OPTION_HEADER_LENGTH <= end) {
      const code = this.ng16(b, o);
      const len = this.ng16(b, o + 2);
      const value = o + PCAPNG_OPTION_HEADER_LENGTH;
      if (code === PCAPNG_OPTION_END || value + len > end) break;
      if (code === PCAPNG_IF_TSRESOL && len >= 1) itf.tsResolution = b[value] ?? PCAPNG_DEFAULT_TSRESOL;
      if (code === PCAPNG_IF_TSOFFSET && len >= 8) {
        const hi = this.ngLittleEndian ? u32le(b, value + 4) : u32be(b, value);
        const lo = this.ngLittleEndian ? u32le(b, value) : u32be(b, value + 4);
        itf.tsOffsetSeconds = (hi | 0) * 0x100000000 + lo;
      }
      o = value + pcapngPad4(len);
    }
    return itf;
  }
}

function join(parts: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Decodes a whole capture file held in memory (tests, small files). Throws CaptureFileError. */
export function decodeCaptureFile(bytes: Uint8Array, options: CaptureFileDecoderOptions = {}): CaptureRecord[] {
  const records: CaptureRecord[] = [];
  const decoder = new CaptureFileDecoder(options);
  decoder.push(bytes, (r) => records.push(r));
  decoder.end();
  return records;
}
