import { ReasonCounters } from '@earshot/errors';
import { PacketDecoder, type CaptureRecord, type TcpFlow, type TcpStreamChunk, type UdpDatagram } from '@earshot/packet';
import { decodeSipMessage, SipDecodeError, SipDialogTracker, SipStreamFramer, type SipCallEvent, type SipDialogTrackerOptions, type SipTransportInfo } from '@earshot/sip';

/** Options of a SipCapturePipeline. */
export interface SipCapturePipelineOptions {
  /** UDP/TCP ports whose traffic is always decoded as SIP. Default [5060, 5061]. */
  readonly sipPorts?: readonly number[];
  /**
   * Also decode datagrams and TCP streams on other ports whose first line looks like a SIP start
   * line. Default true. The check looks at the first byte first: RTP and RTCP (version 2) start
   * with 0x80-0xBF, never an ASCII letter, so media costs one comparison.
   */
  readonly sipOnAnyPort?: boolean;
  /** Options of the dialog tracker (timeouts in capture time). */
  readonly tracker?: SipDialogTrackerOptions;
  /** Each call event, in order, as the tracker produces it. */
  readonly onEvent: (event: SipCallEvent) => void;
}

const A = 0x41;
const Z = 0x5a;
const LF = 0x0a;
const START_LINE_RE = /^(?:[A-Z][A-Za-z0-9.!%*_+`'~-]* \S+ SIP\/\d+\.\d+|SIP\/\d+\.\d+ [1-6]\d\d(?: .*)?)\r?$/;
const latin1 = new TextDecoder('latin1');

/** Whether bytes start with something that looks like a SIP request or status line. Cheap for media. */
export function looksLikeSip(payload: Uint8Array): boolean {
  const first = payload[0];
  if (first === undefined || first < A || first > Z) return false;
  const limit = Math.min(payload.length, 512);
  let lf = -1;
  for (let i = 1; i < limit; i++) {
    if (payload[i] === LF) {
      lf = i;
      break;
    }
  }
  if (lf < 0) return false;
  return START_LINE_RE.test(latin1.decode(payload.subarray(0, lf)));
}

function flowKey(f: TcpFlow): string {
  return `${f.src}|${f.srcPort}|${f.dst}|${f.dstPort}`;
}

function micros(tsSec: number, tsNanos: number): number {
  return tsSec * 1_000_000 + Math.floor(tsNanos / 1000);
}

/**
 * Capture records in, call events out: the packet pipeline (link, IP reassembly, UDP, TCP
 * reassembly), SIP messages (one per UDP datagram; TCP streams framed by Content-Length per
 * direction), then the dialog tracker with capture time as its clock.
 *
 * Bad packets, bad TCP streams and bad SIP are counted by reason (`counters()`), never thrown, and
 * never stop the messages beside them. Datagrams on other ports that do not look like SIP (RTP,
 * mostly) are skipped after a one-byte check and counted as `udp.skipped`.
 */
export class SipCapturePipeline {
  private readonly own = new ReasonCounters();
  private readonly decoder: PacketDecoder;
  private readonly tracker: SipDialogTracker;
  private readonly sipPort = new Uint8Array(65536);
  private readonly anyPort: boolean;
  private readonly onEvent: (event: SipCallEvent) => void;
  private readonly framers = new Map<string, SipStreamFramer>();
  private readonly notSipFlows = new Set<string>();
  /** Counters of framers already dropped (stream ended or reset after a gap). */
  private readonly framerTotals = new ReasonCounters();
  private skippedUdp = 0;

  constructor(options: SipCapturePipelineOptions) {
    for (const p of options.sipPorts ?? [5060, 5061]) this.sipPort[p] = 1;
    this.anyPort = options.sipOnAnyPort ?? true;
    this.onEvent = options.onEvent;
    this.tracker = new SipDialogTracker(options.tracker);
    this.decoder = new PacketDecoder({
      onUdp: (d) => this.onUdp(d),
      onTcpData: (c) => this.onTcpData(c),
      onTcpGap: (g) => this.resetFlow(flowKey(g.flow), 'tcp.sip-stream-gap'),
      onTcpEnd: (e) => this.endFlow(flowKey(e.flow)),
    });
  }

  /** Decodes one captured frame; the events it completes go to `onEvent`. */
  push(record: CaptureRecord): void {
    this.decoder.push(record);
  }

  /**
   * Advances capture time without a packet (live mode's idle guard: the wall clock stands in for
   * capture time there, as it does for live packets): unanswered calls fail, idle ones end.
   */
  tick(nowUs: number): void {
    this.emit(this.tracker.tick(nowUs));
  }

  /** End of input: delivers what TCP reassembly holds, then closes every call (tick(Infinity)). */
  finish(): void {
    this.decoder.flush();
    for (const key of [...this.framers.keys()]) this.endFlow(key);
    this.emit(this.tracker.tick(Infinity));
  }

  /** Calls followed now (lingering ones included). */
  get trackedCalls(): number {
    return this.tracker.size;
  }

  /** Every counter: `packets.*` (frames, IP, TCP), `sip.*` (messages, bad SIP by reason), `tcp-sip.*` (framing), `dialogs.*` (tracker). */
  counters(): Record<string, number> {
    const all = new ReasonCounters();
    all.merge(this.decoder.counters, 'packets.');
    all.merge(this.own, 'sip.');
    all.merge(this.framerTotals, 'tcp-sip.');
    for (const f of this.framers.values()) all.merge(f.counters, 'tcp-sip.');
    all.merge(this.tracker.counters, 'dialogs.');
    if (this.skippedUdp > 0) all.inc('packets.udp.skipped', this.skippedUdp);
    return all.snapshot();
  }

  private onUdp(d: UdpDatagram): void {
    const onSipPort = this.sipPort[d.dstPort] === 1 || this.sipPort[d.srcPort] === 1;
    if (!onSipPort && !(this.anyPort && looksLikeSip(d.payload))) {
      this.skippedUdp++;
      return;
    }
    const timeUs = micros(d.tsSec, d.tsNanos);
    const transport: SipTransportInfo = { protocol: 'udp', src: { ip: d.src, port: d.srcPort }, dst: { ip: d.dst, port: d.dstPort } };
    let size: number;
    let message;
    try {
      ({ value: message, size } = decodeSipMessage(d.payload));
    } catch (e) {
      if (!(e instanceof SipDecodeError)) throw e;
      // CRLF keep-alives (RFC 5626) are not errors.
      this.own.inc(e.reason === 'empty-message' ? 'udp.keepalive' : `bad.${e.reason}`);
      return;
    }
    this.own.inc('udp.messages');
    if (d.reassembled) this.own.inc('udp.reassembled');
    if (size < d.payload.length && d.payload.subarray(size).some((b) => b !== 0x0d && b !== 0x0a)) this.own.inc('udp.trailing-bytes');
    this.deliver(message, timeUs, transport);
  }

  private onTcpData(c: TcpStreamChunk): void {
    const key = flowKey(c.flow);
    if (this.notSipFlows.has(key)) return;
    let framer = this.framers.get(key);
    if (framer === undefined) {
      const onSipPort = this.sipPort[c.flow.dstPort] === 1 || this.sipPort[c.flow.srcPort] === 1;
      if (!onSipPort && !(this.anyPort && looksLikeSip(c.data))) {
        this.notSipFlows.add(key);
        this.own.inc('tcp.not-sip-streams');
        return;
      }
      framer = new SipStreamFramer();
      this.framers.set(key, framer);
      this.own.inc('tcp.streams');
    }
    const timeUs = micros(c.tsSec, c.tsNanos);
    const transport: SipTransportInfo = { protocol: 'tcp', src: { ip: c.flow.src, port: c.flow.srcPort }, dst: { ip: c.flow.dst, port: c.flow.dstPort } };
    for (const bytes of framer.push(c.data)) {
      let message;
      try {
        message = decodeSipMessage(bytes).value;
      } catch (e) {
        if (!(e instanceof SipDecodeError)) throw e;
        this.own.inc(`bad.${e.reason}`);
        continue;
      }
      this.own.inc('tcp.messages');
      this.deliver(message, timeUs, transport);
    }
  }

  /** Bytes are missing: a message cut by the gap cannot be framed, so start over at the next start line. */
  private resetFlow(key: string, reason: string): void {
    const framer = this.framers.get(key);
    if (framer === undefined) return;
    this.own.inc(reason);
    this.framerTotals.merge(framer.counters);
    this.framers.set(key, new SipStreamFramer());
  }

  private endFlow(key: string): void {
    this.notSipFlows.delete(key);
    const framer = this.framers.get(key);
    if (framer === undefined) return;
    if (framer.bufferedBytes > 0) this.own.inc('tcp.incomplete-at-end');
    this.framerTotals.merge(framer.counters);
    this.framers.delete(key);
  }

  private deliver(message: Parameters<SipDialogTracker['onMessage']>[0], timeUs: number, transport: SipTransportInfo): void {
    this.emit(this.tracker.onMessage(message, timeUs, transport));
  }

  private emit(events: SipCallEvent[]): void {
    for (const e of events) this.onEvent(e);
  }
}
