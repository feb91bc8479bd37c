import { ReasonCounters } from '@earshot/errors';
import { captureTimeMicros, type TcpFlow, type TcpStreamChunk, type UdpDatagram } from '@earshot/packet';
import { SipDialogTracker, type SipCallEvent, type SipDialogTrackerOptions, type SipTransportInfo } from './sip-dialog-tracker';
import { decodeSipMessage, type SipMessage } from './sip-message';
import { SipDecodeError } from './sip-error';
import { SipStreamFramer, type SipStreamFramerOptions } from './sip-stream-framer';

/** Options of a SipCaptureReader. */
export interface SipCaptureReaderOptions {
  /** UDP/TCP ports whose traffic is always decoded as SIP. Default [5060, 5061]. */
  readonly sipPorts?: readonly number[];
  /**
   * Also decode datagrams and TCP streams on other ports whose first line looks like a SIP start
   * line. Default true. The check looks at the first byte first: RTP and RTCP (version 2) start
   * with 0x80-0xBF, never an ASCII letter, so media costs one comparison.
   */
  readonly sipOnAnyPort?: boolean;
  /** Options of the dialog tracker (timeouts in capture time). Default: the tracker's defaults. */
  readonly tracker?: SipDialogTrackerOptions;
  /** Limits of the TCP stream framer. Default: the framer's defaults. */
  readonly framer?: SipStreamFramerOptions;
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

/**
 * The SIP front end of a capture: decoded UDP datagrams and TCP stream bytes (from PacketDecoder
 * of @earshot/packet) in, call events out. One SIP message per UDP datagram; each TCP direction
 * framed by Content-Length; then a SipDialogTracker with capture time as its clock. Call control
 * and the RTP collector both read SIP through it, so both see the same calls.
 *
 * Which traffic is SIP: anything on `sipPorts`, and with `sipOnAnyPort` whatever starts with a SIP
 * start line. On TCP a missing Content-Length is not refused (the framer already took the body as
 * empty, RFC 3261 §20.14), so a lax PBX's bodiless BYE still ends its call. A gap in a TCP stream
 * drops the partial message; the framer resynchronises on the next start line.
 *
 * Bad SIP and bad streams are counted by reason (`counters()`), never thrown.
 */
export class SipCaptureReader {
  private readonly own = new ReasonCounters();
  private readonly tracker: SipDialogTracker;
  private readonly sipPort = new Uint8Array(65536);
  private readonly anyPort: boolean;
  private readonly framerOptions: SipStreamFramerOptions | undefined;
  private readonly onEvent: (event: SipCallEvent) => void;
  private readonly framers = new Map<string, SipStreamFramer>();
  private readonly notSipFlows = new Set<string>();
  /** Counters of framers already dropped (stream ended or reset after a gap). */
  private readonly framerTotals = new ReasonCounters();
  private skipped = 0;

  constructor(options: SipCaptureReaderOptions) {
    for (const p of options.sipPorts ?? [5060, 5061]) {
      if (!Number.isInteger(p) || p < 1 || p > 65535) throw new RangeError(`sipPorts must hold ports from 1 to 65535, got ${JSON.stringify(p)}`);
      this.sipPort[p] = 1;
    }
    this.anyPort = options.sipOnAnyPort ?? true;
    this.framerOptions = options.framer;
    this.onEvent = options.onEvent;
    this.tracker = new SipDialogTracker(options.tracker);
  }

  /** Calls followed now (lingering ones included). */
  get trackedCalls(): number {
    return this.tracker.size;
  }

  /** UDP datagrams passed to pushUdp that were not SIP (left to the caller, e.g. as media). */
  get skippedDatagrams(): number {
    return this.skipped;
  }

  /**
   * One UDP datagram. Returns true when it is SIP (on a SIP port, or it looks like SIP) and was
   * taken, well-formed or not; false when it is not SIP and is left to the caller.
   */
  pushUdp(d: UdpDatagram): boolean {
    const onSipPort = this.sipPort[d.dstPort] === 1 || this.sipPort[d.srcPort] === 1;
    if (!onSipPort && !(this.anyPort && looksLikeSip(d.payload))) {
      this.skipped++;
      return false;
    }
    const timeUs = captureTimeMicros(d);
    const transport: SipTransportInfo = { protocol: 'udp', src: { ip: d.src, port: d.srcPort }, dst: { ip: d.dst, port: d.dstPort } };
    let size: number;
    let message: SipMessage;
    try {
      ({ value: message, size } = decodeSipMessage(d.payload));
    } catch (e) {
      if (!(e instanceof SipDecodeError)) throw e;
      // CRLF keep-alives (RFC 5626) are not errors.
      this.own.inc(e.reason === 'empty-message' ? 'udp.keepalive' : `bad.${e.reason}`);
      return true;
    }
    this.own.inc('udp.messages');
    if (d.reassembled) this.own.inc('udp.reassembled');
    if (size < d.payload.length && d.payload.subarray(size).some((b) => b !== 0x0d && b !== 0x0a)) this.own.inc('udp.trailing-bytes');
    this.deliver(message, timeUs, transport);
    return true;
  }

  /** Ordered bytes of one TCP direction. Streams that are not SIP are recognised once and ignored. */
  pushTcpData(c: TcpStreamChunk): void {
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
      framer = new SipStreamFramer(this.framerOptions);
      this.framers.set(key, framer);
      this.own.inc('tcp.streams');
    }
    const timeUs = captureTimeMicros(c);
    const transport: SipTransportInfo = { protocol: 'tcp', src: { ip: c.flow.src, port: c.flow.srcPort }, dst: { ip: c.flow.dst, port: c.flow.dstPort } };
    for (const bytes of framer.push(c.data)) {
      let message: SipMessage;
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

  /** Bytes of a TCP direction are missing: a message cut by the gap cannot be framed; start over at the next start line. */
  tcpGap(flow: TcpFlow): void {
    const key = flowKey(flow);
    const framer = this.framers.get(key);
    if (framer === undefined) return;
    this.own.inc('tcp.sip-stream-gap');
    this.framerTotals.merge(framer.counters);
    this.framers.set(key, new SipStreamFramer(this.framerOptions));
  }

  /** A TCP direction ended (FIN, RST, idle, evicted): its framer goes. */
  tcpEnd(flow: TcpFlow): void {
    this.endFlow(flowKey(flow));
  }

  /**
   * Advances capture time without a message (a packet of something else, or live mode's idle
   * guard): unanswered calls fail, idle ones end.
   */
  tick(nowUs: number): void {
    this.emit(this.tracker.tick(nowUs));
  }

  /** End of input (after the packet decoder's flush): every stream's framer goes, every call closes (tick(Infinity)). */
  finish(): void {
    for (const key of [...this.framers.keys()]) this.endFlow(key);
    this.emit(this.tracker.tick(Infinity));
  }

  /**
   * Every counter: `sip.*` (messages per transport, keep-alives, bad SIP as `sip.bad.<reason>`, TCP
   * streams), `tcp-sip.*` (framing), `dialogs.*` (the tracker).
   */
  counters(): Record<string, number> {
    const all = new ReasonCounters();
    all.merge(this.own, 'sip.');
    all.inc('sip.messages', this.own.get('udp.messages') + this.own.get('tcp.messages'));
    all.merge(this.framerTotals, 'tcp-sip.');
    for (const f of this.framers.values()) all.merge(f.counters, 'tcp-sip.');
    all.merge(this.tracker.counters, 'dialogs.');
    return all.snapshot();
  }

  private endFlow(key: string): void {
    this.notSipFlows.delete(key);
    const framer = this.framers.get(key);
    if (framer === undefined) return;
    if (framer.bufferedBytes > 0) this.own.inc('tcp.incomplete-at-end');
    this.framerTotals.merge(framer.counters);
    this.framers.delete(key);
  }

  private deliver(message: SipMessage, timeUs: number, transport: SipTransportInfo): void {
    this.emit(this.tracker.onMessage(message, timeUs, transport));
  }

  private emit(events: SipCallEvent[]): void {
    for (const e of events) this.onEvent(e);
  }
}
