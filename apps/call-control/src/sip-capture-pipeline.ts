import { ReasonCounters } from '@earshot/errors';
import { PacketDecoder, type CaptureRecord } from '@earshot/packet';
import { SipCaptureReader, type SipCaptureReaderOptions } from '@earshot/sip';

/** Options of a SipCapturePipeline: those of the SIP capture reader (the RTP collector reads SIP with the same ones). */
export type SipCapturePipelineOptions = SipCaptureReaderOptions;

/**
 * Capture records in, call events out: the packet pipeline (link, IP reassembly, UDP, TCP
 * reassembly), then SipCaptureReader of @earshot/sip (SIP detection, TCP framing, the dialog
 * tracker with capture time as its clock), the same SIP front end the RTP collector runs.
 *
 * Bad packets, bad TCP streams and bad SIP are counted by reason (`counters()`), never thrown, and
 * never stop the messages beside them. Datagrams that are not SIP (RTP, mostly) are skipped after
 * a one-byte check and counted as `packets.udp.skipped`.
 */
export class SipCapturePipeline {
  private readonly decoder: PacketDecoder;
  private readonly reader: SipCaptureReader;

  constructor(options: SipCapturePipelineOptions) {
    this.reader = new SipCaptureReader(options);
    this.decoder = new PacketDecoder({
      onUdp: (d) => void this.reader.pushUdp(d),
      onTcpData: (c) => this.reader.pushTcpData(c),
      onTcpGap: (g) => this.reader.tcpGap(g.flow),
      onTcpEnd: (e) => this.reader.tcpEnd(e.flow),
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
    this.reader.tick(nowUs);
  }

  /** End of input: delivers what TCP reassembly holds, then closes every call. */
  finish(): void {
    this.decoder.flush();
    this.reader.finish();
  }

  /** Calls followed now (lingering ones included). */
  get trackedCalls(): number {
    return this.reader.trackedCalls;
  }

  /** Every counter: `packets.*` (frames, IP, TCP), `sip.*` (messages, bad SIP by reason), `tcp-sip.*` (framing), `dialogs.*` (tracker). */
  counters(): Record<string, number> {
    const all = new ReasonCounters();
    all.merge(this.decoder.counters, 'packets.');
    for (const [name, value] of Object.entries(this.reader.counters())) all.inc(name, value);
    if (this.reader.skippedDatagrams > 0) all.inc('packets.udp.skipped', this.reader.skippedDatagrams);
    return all.snapshot();
  }
}
