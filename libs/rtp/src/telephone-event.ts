import { Decoded, TelephoneEventDecodeError } from './rtp-error';

/** One RFC 4733 named-event payload. */
export interface TelephoneEvent {
  /** Event code: 0-9 digits, 10 `*`, 11 `#`, 12-15 A-D, 16 flash, others per the IANA registry. */
  event: number;
  /** E bit: this packet ends the event (senders repeat the end packet, usually three times). */
  end: boolean;
  /** Power level in -dBm0, 0-63. */
  volume: number;
  /** Duration so far, in RTP timestamp units from the event's start timestamp. */
  duration: number;
}

export const TELEPHONE_EVENT_SIZE = 4;
const OFF_EVENT = 0;
const OFF_FLAGS = 1;
const OFF_DURATION = 2;
const END_BIT = 0x80;
const RESERVED_BIT = 0x40;
const VOLUME_MASK = 0x3f;

/*
 * RFC 4733 §2.3:
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |     event     |E|R| volume    |          duration             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
/** Decodes the first event of a telephone-event payload. Throws TelephoneEventDecodeError only. */
export function decodeTelephoneEvent(buf: Uint8Array, offset = 0): Decoded<TelephoneEvent> {
  if (offset < 0 || buf.length - offset < TELEPHONE_EVENT_SIZE) {
    throw new TelephoneEventDecodeError(`telephone-event payload of ${Math.max(0, buf.length - offset)} bytes, need 4`, { reason: 'truncated-event' });
  }
  const flags = buf[offset + OFF_FLAGS] as number;
  return {
    value: {
      event: buf[offset + OFF_EVENT] as number,
      end: (flags & END_BIT) !== 0,
      volume: flags & VOLUME_MASK,
      duration: ((buf[offset + OFF_DURATION] as number) << 8) | (buf[offset + OFF_DURATION + 1] as number),
    },
    size: TELEPHONE_EVENT_SIZE,
  };
}

export function encodedSizeTelephoneEvent(_e: TelephoneEvent): number {
  return TELEPHONE_EVENT_SIZE;
}

/** Encodes one event (R bit zero); returns 4. Throws TelephoneEventDecodeError on values out of range. */
export function encodeTelephoneEvent(e: TelephoneEvent, buf: Uint8Array, offset = 0): number {
  if (buf.length - offset < TELEPHONE_EVENT_SIZE) throw new TelephoneEventDecodeError('buffer too small', { reason: 'buffer-too-small' });
  if (e.event < 0 || e.event > 255 || e.volume < 0 || e.volume > VOLUME_MASK || e.duration < 0 || e.duration > 0xffff) {
    throw new TelephoneEventDecodeError(`telephone event out of range: ${JSON.stringify(e)}`, { reason: 'value-out-of-range' });
  }
  buf[offset + OFF_EVENT] = e.event;
  buf[offset + OFF_FLAGS] = (e.end ? END_BIT : 0) | (e.volume & VOLUME_MASK & ~RESERVED_BIT);
  buf[offset + OFF_DURATION] = e.duration >>> 8;
  buf[offset + OFF_DURATION + 1] = e.duration & 0xff;
  return TELEPHONE_EVENT_SIZE;
}

const DIGITS = '0123456789*#ABCD';
const EVENT_FLASH = 16;

/** The DTMF character of an event code (`'0'`-`'9'`, `'*'`, `'#'`, `'A'`-`'D'`, `'flash'`), or null for other events. */
export function dtmfDigit(event: number): string | null {
  if (event >= 0 && event < DIGITS.length) return DIGITS[event] as string;
  return event === EVENT_FLASH ? 'flash' : null;
}

/** One key press, as recovered from a telephone-event packet sequence. */
export interface DtmfEvent {
  event: number;
  /** dtmfDigit(event), or null for non-DTMF events. */
  digit: string | null;
  /** RTP timestamp of the event's start (the timestamp every packet of the event carries). */
  rtpTimestamp: number;
  /** Duration in RTP timestamp units (the largest seen). */
  duration: number;
  volume: number;
  /** Capture time (µs) of the first packet seen of this event. */
  captureTimeUs: number;
  /** False when no end packet arrived (all lost, or the stream stopped) and the event was closed otherwise. */
  ended: boolean;
  ssrc: number;
}

/** The packet fields DtmfCollector needs: those of the RTP header and the decoded payload. */
export interface DtmfPacket {
  ssrc: number;
  timestamp: number;
  event: TelephoneEvent;
  captureTimeUs: number;
}

/** How many recently finished events the collector remembers to drop their repeated end packets. */
const RECENT_EVENTS = 16;

/**
 * Turns a telephone-event packet sequence into one DtmfEvent per key press. Every packet of an
 * event carries the event's start timestamp, the end packet is repeated (usually three times), and
 * packets can arrive out of order; so an event is identified by (SSRC, start timestamp, event code),
 * emitted once on its first end packet, and later packets of it are dropped. An event that never
 * gets an end packet is emitted (ended: false) when another event starts or on flush().
 */
export class DtmfCollector {
  private open: DtmfEvent | null = null;
  private readonly recent: string[] = [];

  /** Feeds one packet; returns the events it completes (none, or the open one it ends or replaces). */
  push(p: DtmfPacket): DtmfEvent[] {
    const id = `${p.ssrc >>> 0}/${p.timestamp >>> 0}/${p.event.event}`;
    if (this.recent.includes(id)) return [];
    const out: DtmfEvent[] = [];
    const cur = this.open;
    if (cur && (cur.ssrc !== p.ssrc || cur.rtpTimestamp !== p.timestamp >>> 0 || cur.event !== p.event.event)) {
      out.push(this.finish(cur, false));
    }
    let ev = this.open;
    if (!ev) {
      ev = {
        event: p.event.event, digit: dtmfDigit(p.event.event), rtpTimestamp: p.timestamp >>> 0,
        duration: p.event.duration, volume: p.event.volume, captureTimeUs: p.captureTimeUs, ended: false, ssrc: p.ssrc >>> 0,
      };
      this.open = ev;
    } else if (p.event.duration > ev.duration) {
      ev.duration = p.event.duration;
    }
    if (p.event.end) out.push(this.finish(ev, true));
    return out;
  }

  /** Emits the event still open (no end packet seen), if any. */
  flush(): DtmfEvent[] {
    return this.open ? [this.finish(this.open, false)] : [];
  }

  private finish(ev: DtmfEvent, ended: boolean): DtmfEvent {
    ev.ended = ended;
    this.open = null;
    this.recent.push(`${ev.ssrc}/${ev.rtpTimestamp}/${ev.event}`);
    if (this.recent.length > RECENT_EVENTS) this.recent.shift();
    return ev;
  }
}
