import { deterministicEventId, type CapturedPacket, type MediaProtocol, type RtpBatch, type RtpStreamId } from '@earshot/events';
import { rtpStreamKeyString, type RtpStreamKey } from '@earshot/rtp';

/** Options of RtpStreamBatcher. */

/**
 * The watermark that ends a capture file: 2^52 - 1 µs (year 2112), later than any capture time and
 * the largest value avsc encodes as an Avro long.
 */
export const END_OF_CAPTURE_US = 2 ** 52 - 1;

export interface RtpStreamBatcherOptions {
  /** This collector instance (RtpBatch.instanceId). */
  instanceId: string;
  /** Packets per batch at most. */
  maxPackets: number;
  /** Capture-time span of a batch at most, and the interval of watermarks, in ms. */
  windowMs: number;
  /** Partitions of qm.rtp.v1: a watermark goes to each. */
  partitions: number;
  /** Payload bytes per batch at most, so a message stays under the topic's size limit. Default 1 MiB. */
  maxBatchBytes?: number;
  /**
   * Capture time of the oldest packet held elsewhere that may still be added (packets waiting for
   * their announcement): watermarks stay before it. Default: nothing is held.
   */
  heldSinceUs?: () => number;
  /** Receives each batch and watermark, in the order they must be published. */
  emit: (batch: OutgoingRtpBatch) => void;
}

/** A batch or watermark ready to produce to qm.rtp.v1. */
export interface OutgoingRtpBatch {
  key: string;
  /** Set for watermarks (one per partition); batches go where their key hashes. */
  partition: number | undefined;
  value: RtpBatch;
  /** Payload bytes carried (0 for a watermark). */
  bytes: number;
}

/** One stream (5-tuple + SSRC, RTP or RTCP) and its open batch. */
export class RtpStream {
  /** Packets of the open batch. */
  packets: CapturedPacket[] = [];
  bytes = 0;
  /** Capture time of the open batch's first packet. */
  firstUs = 0;
  /** Tells apart successive open batches in the window queue. */
  serial = 0;
  /**
   * Sequence of the next batch: counts up by one from the capture time, in ms, of the stream's
   * first packet, so a stream seen again (after a restart of the collector, or an hour idle)
   * carries on above its earlier batches (a stream sends far fewer than one batch per ms), and
   * the same capture still gives the same ids. -1 until the first packet.
   */
  nextSequence = -1;
  lastUs = 0;
  totalPackets = 0;

  constructor(
    readonly id: RtpStreamId,
    readonly keyString: string,
    readonly mediaKey: string,
    /** The call this stream's next batch belongs to (null: found by the heuristic). */
    public callId: string | null,
  ) {}
}

interface WindowEntry {
  stream: RtpStream;
  serial: number;
  firstUs: number;
}

const EMPTY_STREAM: RtpStreamId = {
  protocol: 'RTP', sourceAddress: '', sourcePort: 0, destinationAddress: '', destinationPort: 0, ssrc: 0,
};

/**
 * Cuts each stream's packets into RtpBatches of at most `maxPackets` packets spanning less than
 * `windowMs` of capture time, and interleaves watermarks. Capture time is the only clock: a batch
 * is flushed when a packet (of any stream) shows that its window has passed, and at `finish()`.
 * The same packets in the same order always give the same batches with the same ids.
 *
 * Watermarks: every `windowMs` of capture time, one watermark per partition carrying the latest
 * time up to which every captured packet has been emitted (just before the oldest open batch's
 * first packet and the oldest packet still held for its announcement (`heldSinceUs`), or the
 * newest packet time when nothing is open or held); one more at `finish()`.
 */
export class RtpStreamBatcher {
  batches = 0;
  watermarks = 0;
  private readonly windowUs: number;
  private readonly maxPackets: number;
  private readonly maxBytes: number;
  /** Open batches in the order they were opened (entries of flushed batches are skipped). */
  private queue: WindowEntry[] = [];
  private queueHead = 0;
  private maxUs = -Infinity;
  private nextTickUs = Infinity;
  private lastWatermarkUs = -Infinity;
  private watermarkSequence = 0;

  constructor(private readonly options: RtpStreamBatcherOptions) {
    if (!Number.isInteger(options.maxPackets) || options.maxPackets < 1) throw new RangeError(`batch.maxPackets must be an integer of at least 1, got ${options.maxPackets}`);
    if (!Number.isInteger(options.windowMs) || options.windowMs < 1) throw new RangeError(`batch.windowMs must be an integer of at least 1, got ${options.windowMs}`);
    if (!Number.isInteger(options.partitions) || options.partitions < 1) throw new RangeError(`partitions must be an integer of at least 1, got ${options.partitions}`);
    this.windowUs = options.windowMs * 1000;
    this.maxPackets = options.maxPackets;
    this.maxBytes = options.maxBatchBytes ?? 1024 * 1024;
  }

  /** A new stream; `key` is its 5-tuple and SSRC, `mediaKey` the Kafka key of its session. */
  createStream(protocol: MediaProtocol, key: RtpStreamKey, mediaKey: string, callId: string | null): RtpStream {
    const id: RtpStreamId = {
      protocol, sourceAddress: key.srcIp, sourcePort: key.srcPort, destinationAddress: key.dstIp, destinationPort: key.dstPort, ssrc: key.ssrc >>> 0,
    };
    return new RtpStream(id, rtpStreamKeyString(key), mediaKey, callId);
  }

  /** Changes the call a stream belongs to: the open batch (of the old call) is flushed first. */
  setCallId(stream: RtpStream, callId: string | null): void {
    if (stream.callId === callId) return;
    if (stream.packets.length > 0) this.flush(stream);
    stream.callId = callId;
  }

  /** Moves capture time on to `timeUs`: flushes batches whose window has passed, sends due watermarks. */
  advance(timeUs: number): void {
    if (timeUs > this.maxUs) {
      if (this.maxUs === -Infinity) this.nextTickUs = (Math.floor(timeUs / this.windowUs) + 1) * this.windowUs;
      this.maxUs = timeUs;
    }
    const q = this.queue;
    while (this.queueHead < q.length) {
      const head = q[this.queueHead] as WindowEntry;
      if (head.serial !== head.stream.serial || head.stream.packets.length === 0) {
        this.queueHead++;
        continue;
      }
      if (head.firstUs + this.windowUs > timeUs) break;
      this.queueHead++;
      this.flush(head.stream);
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > q.length) {
      this.queue = q.slice(this.queueHead);
      this.queueHead = 0;
    }
    if (this.maxUs >= this.nextTickUs) {
      this.nextTickUs = (Math.floor(this.maxUs / this.windowUs) + 1) * this.windowUs;
      const oldest = Math.min(this.oldestOpenUs(), this.options.heldSinceUs?.() ?? Infinity);
      this.watermark(Math.min(this.maxUs - 1, oldest - 1));
    }
  }

  /** Adds one packet (the UDP payload exactly as received) to its stream, after advance(timeUs). */
  add(stream: RtpStream, timeUs: number, data: Buffer): void {
    this.advance(timeUs);
    if (stream.packets.length > 0 && (timeUs - stream.firstUs >= this.windowUs || stream.bytes + data.length > this.maxBytes)) this.flush(stream);
    if (stream.packets.length === 0) {
      if (stream.nextSequence < 0) stream.nextSequence = Math.floor(timeUs / 1000);
      stream.firstUs = timeUs;
      stream.serial++;
      this.queue.push({ stream, serial: stream.serial, firstUs: timeUs });
    }
    stream.packets.push({ captureTimeUs: timeUs, data });
    stream.bytes += data.length;
    stream.lastUs = timeUs;
    stream.totalPackets++;
    if (stream.packets.length >= this.maxPackets) this.flush(stream);
  }

  /** Whether a stream has packets waiting in an open batch. */
  hasOpenBatch(stream: RtpStream): boolean {
    return stream.packets.length > 0;
  }

  /**
   * End of input: flushes every open batch and sends a final watermark: at the newest capture time,
   * or, when the whole capture has been read (a file's end), at END_OF_CAPTURE_US — nothing more
   * will come, so recorders may close every leg, lingering or not.
   */
  finish(endOfCapture = false): void {
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const e = this.queue[i] as WindowEntry;
      if (e.serial === e.stream.serial && e.stream.packets.length > 0) this.flush(e.stream);
    }
    this.queue = [];
    this.queueHead = 0;
    if (endOfCapture) this.watermark(END_OF_CAPTURE_US, true);
    else if (this.maxUs !== -Infinity) this.watermark(this.maxUs, true);
  }

  /** Capture time of the oldest open batch's first packet (not always the queue's first: held packets are added late). */
  private oldestOpenUs(): number {
    let oldest = Infinity;
    for (let i = this.queueHead; i < this.queue.length; i++) {
      const e = this.queue[i] as WindowEntry;
      if (e.serial === e.stream.serial && e.stream.packets.length > 0 && e.firstUs < oldest) oldest = e.firstUs;
    }
    return oldest;
  }

  private flush(stream: RtpStream): void {
    const packets = stream.packets;
    if (packets.length === 0) return;
    const sequence = stream.nextSequence++;
    const rtcp = stream.id.protocol === 'RTCP';
    // An RTCP stream can share its 5-tuple and SSRC with an RTP stream (rtcp-mux): its ids say RTCP.
    const batchId = rtcp ? deterministicEventId(stream.keyString, sequence, 'RTCP') : deterministicEventId(stream.keyString, sequence);
    this.options.emit({
      key: stream.mediaKey,
      partition: undefined,
      bytes: stream.bytes,
      value: {
        batchId, mediaKey: stream.mediaKey, stream: stream.id, callId: stream.callId, batchSequence: sequence,
        instanceId: this.options.instanceId, packets, watermarkUs: null,
      },
    });
    this.batches++;
    stream.packets = [];
    stream.bytes = 0;
  }

  private watermark(timeUs: number, final = false): void {
    if (!Number.isFinite(timeUs)) return;
    if (timeUs < this.lastWatermarkUs || (timeUs === this.lastWatermarkUs && !final)) return;
    this.lastWatermarkUs = timeUs;
    const sequence = this.watermarkSequence++;
    for (let partition = 0; partition < this.options.partitions; partition++) {
      this.options.emit({
        key: 'watermark',
        partition,
        bytes: 0,
        value: {
          batchId: deterministicEventId('watermark', this.options.instanceId, timeUs, partition), mediaKey: '', stream: EMPTY_STREAM, callId: null,
          batchSequence: sequence, instanceId: this.options.instanceId, packets: [], watermarkUs: timeUs,
        },
      });
    }
    this.watermarks++;
  }
}
