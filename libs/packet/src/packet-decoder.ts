import { ReasonCounters } from '@earshot/errors';
import { CaptureRecord } from './capture-record';
import { PacketDecodeError } from './errors';
import { decodeFrameInto, decodeTransportInto, DecodedFrame, newDecodedFrame } from './frame';
import { IpReassembler, IpReassemblerOptions } from './ip-reassembler';
import { IpProtocol } from './ipv6';
import { TcpStreamChunk, TcpStreamEnd, TcpStreamGap, TcpStreamReassembler, TcpStreamReassemblerOptions } from './tcp-stream-reassembler';

/** A UDP datagram out of the pipeline, with its capture time. */
export interface UdpDatagram {
  tsSec: number;
  tsNanos: number;
  ipVersion: 4 | 6;
  /** VLAN IDs, outermost first (a shared empty array when untagged: do not modify). */
  vlanIds: readonly number[];
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  /** A view into the captured frame (or into the reassembled datagram). */
  payload: Uint8Array;
  /** True when it was rebuilt from IP fragments. */
  reassembled: boolean;
}

/** Options of PacketDecoder. */
export interface PacketDecoderOptions {
  /** IP fragment reassembly limits (its counters are this decoder's, prefixed `fragments.`). */
  reassembly?: Omit<IpReassemblerOptions, 'counters' | 'counterPrefix'>;
  /** TCP reassembly limits (its counters are this decoder's, prefixed `tcp.`). */
  tcp?: Omit<TcpStreamReassemblerOptions, 'counters' | 'counterPrefix' | 'onData' | 'onGap' | 'onEnd'>;
  /** Every UDP datagram. Default: ignored. */
  onUdp?: (datagram: UdpDatagram) => void;
  /** Ordered TCP bytes per direction. Default: ignored (and TCP is not reassembled at all). */
  onTcpData?: (chunk: TcpStreamChunk) => void;
  onTcpGap?: (gap: TcpStreamGap) => void;
  onTcpEnd?: (end: TcpStreamEnd) => void;
  /** Seconds of capture time between checks for timed-out fragments and TCP gaps. Default 1. */
  expireEverySeconds?: number;
}

const NO_VLANS: readonly number[] = Object.freeze([]);

/**
 * The packet pipeline: capture records in, UDP datagrams and TCP stream bytes out, with their
 * capture timestamps. Runs IP fragment reassembly and TCP stream reassembly, and counts every
 * frame's fate in `counters`: `frames`, `udp`, `tcp`, `fragments`, `ignored.protocol-<n>`, and
 * `dropped.<reason>` for frames that do not decode (never thrown). Timeouts follow capture time.
 * Errors thrown by the callbacks are the caller's and propagate.
 */
export class PacketDecoder {
  readonly counters = new ReasonCounters();
  private readonly frame: DecodedFrame = newDecodedFrame();
  private readonly fragments: IpReassembler;
  private readonly tcp: TcpStreamReassembler | null;
  private readonly onUdp: (datagram: UdpDatagram) => void;
  private readonly expireEvery: number;
  private lastExpire = -Infinity;

  constructor(options: PacketDecoderOptions = {}) {
    this.fragments = new IpReassembler({ ...options.reassembly, counters: this.counters, counterPrefix: 'fragments.' });
    this.tcp =
      options.onTcpData === undefined
        ? null
        : new TcpStreamReassembler({
            ...options.tcp,
            counters: this.counters,
            counterPrefix: 'tcp.',
            onData: options.onTcpData,
            ...(options.onTcpGap === undefined ? {} : { onGap: options.onTcpGap }),
            ...(options.onTcpEnd === undefined ? {} : { onEnd: options.onTcpEnd }),
          });
    this.onUdp = options.onUdp ?? (() => undefined);
    this.expireEvery = options.expireEverySeconds ?? 1;
  }

  /** Decodes one captured frame and passes on what it carries. */
  push(record: CaptureRecord): void {
    this.counters.inc('frames');
    const now = record.tsSec + record.tsNanos / 1e9;
    if (now - this.lastExpire >= this.expireEvery || now < this.lastExpire) this.expire(now);
    const f = this.frame;
    let reassembled = false;
    try {
      decodeFrameInto(f, record.linkType, record.data);
      if (f.isFragment) {
        this.counters.inc('fragments');
        const whole = this.fragments.push(f, now);
        if (whole === null) return;
        f.isFragment = false;
        reassembled = true;
        decodeTransportInto(f, whole, 0, whole.length);
      }
    } catch (e) {
      if (e instanceof PacketDecodeError) {
        this.counters.inc(`dropped.${e.reason}`);
        return;
      }
      throw e;
    }
    if (f.protocol === IpProtocol.UDP) {
      this.counters.inc('udp');
      this.onUdp({
        tsSec: record.tsSec,
        tsNanos: record.tsNanos,
        ipVersion: f.ipVersion,
        vlanIds: f.vlanIds.length === 0 ? NO_VLANS : f.vlanIds.slice(),
        src: f.src,
        srcPort: f.srcPort,
        dst: f.dst,
        dstPort: f.dstPort,
        payload: f.payload,
        reassembled,
      });
    } else if (f.protocol === IpProtocol.TCP) {
      this.counters.inc('tcp');
      if (this.tcp !== null) this.tcp.push(f, record.tsSec, record.tsNanos);
    } else {
      this.counters.inc(`ignored.protocol-${f.protocol}`);
    }
  }

  /** Applies fragment and TCP timeouts at capture time `now` (seconds); push() does it as time passes. */
  expire(now: number): void {
    this.lastExpire = now;
    this.fragments.expire(now);
    this.tcp?.expire(now);
  }

  /** End of input: drops incomplete fragments and ends every TCP stream (delivering what is held). */
  flush(): void {
    this.fragments.flush();
    this.tcp?.flush();
  }
}
