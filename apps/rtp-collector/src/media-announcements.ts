import { ReasonCounters } from '@earshot/errors';
import { endpointString, RtpStreamKeyError } from '@earshot/rtp';

/** Options of MediaAnnouncements. */
export interface MediaAnnouncementsOptions {
  /**
   * How long, in capture time, an endpoint stays announced after its call ended or its side moved
   * its media elsewhere (re-INVITE, UPDATE), so trailing packets still find their call. Default 10000.
   */
  lingerMs?: number;
}

/** Where one side of a call receives one m-line's media. */
export interface AnnouncedMedia {
  /** RTP address and port (port 0: the m-line is disabled). */
  address: string;
  port: number;
  /** RTCP address and port (a=rtcp, else port + 1; the RTP port with rtcp-mux). */
  rtcpAddress: string;
  rtcpPort: number;
}

/** What an announced endpoint or endpoint pair belongs to. */
export interface Announcement {
  readonly callId: string;
  /** Capture time (µs) of the SIP message or call event that announced it. */
  readonly announcedUs: number;
  /** Capture time (µs) after which it no longer counts; Infinity while current. */
  validUntilUs: number;
}

interface CallEndpoints {
  keys: Set<string>;
  /** Capture time of the newest announcement or end applied: older news of the call is stale. */
  lastUs: number;
  ended: boolean;
}

/** Addresses that say "do not send to me" (RFC 2543 hold) rather than name an endpoint. */
const NO_ADDRESS = new Set(['0.0.0.0', '::', '']);

/**
 * The media endpoints that calls announced in their SDP (learnt from the SIP the collector itself
 * captures, or from call control's call events), indexed for the question a packet asks: which
 * call do I belong to?
 *
 * Two sources tell of the same calls, each in its own order and with its own delay, so every
 * announcement carries the capture time of what it reports (the SIP message), and time decides,
 * not arrival: news of a call older than what was already applied for it is stale and ignored (a
 * late ANSWERED does not undo a re-INVITE or an end), and when two calls announce the same key the
 * one announced later in capture time wins (a reused port or address goes to the newer call,
 * whichever source told first).
 *
 * A packet is matched by its endpoint pair (the caller's and the callee's endpoint of the same
 * m-line, RTP or RTCP) while that pair's call is current: one endpoint can serve many calls at
 * once (sipp's UAS answers every call on one media port). Otherwise the newest valid of the pair,
 * its destination and its source endpoint wins (destination first on a tie). Endpoints a call
 * stops using (media moved, call ended) stay valid for `lingerMs` of capture time.
 *
 * `generation` changes whenever the index does, so callers can cache lookups per flow.
 */
export class MediaAnnouncements {
  /** Changes on every change of the index. */
  generation = 0;
  /** `calls` (calls announced), `stale` (news older than what was applied), `overtaken` (keys a newer call had), `announcements.<reason>` (unusable SDP addresses). */
  readonly counters = new ReasonCounters();
  private readonly lingerUs: number;
  /** Keys: `P <mediaKey>` for pairs, `E <ip:port>` for single endpoints. */
  private readonly index = new Map<string, Announcement>();
  private readonly calls = new Map<string, CallEndpoints>();

  constructor(options: MediaAnnouncementsOptions = {}) {
    const linger = options.lingerMs ?? 10_000;
    if (!Number.isInteger(linger) || linger < 0) throw new RangeError(`lingerMs must be an integer of at least 0, got ${JSON.stringify(linger)}`);
    this.lingerUs = linger * 1000;
  }

  /** Calls with endpoints in the index. */
  get size(): number {
    return this.calls.size;
  }

  /**
   * Sets what a call announces as of capture time `atUs`: each side's media per m-line (matched
   * by position, RFC 3264). A side given as undefined has announced nothing yet. Keys the call no
   * longer announces linger. Ignored when older than what was applied for the call.
   */
  announce(callId: string, caller: readonly AnnouncedMedia[] | undefined, callee: readonly AnnouncedMedia[] | undefined, atUs: number): void {
    const previous = this.calls.get(callId);
    if (previous !== undefined && (atUs < previous.lastUs || (previous.ended && atUs <= previous.lastUs))) {
      this.counters.inc('stale');
      return;
    }
    const keys = new Set<string>();
    const endpoints = (m: AnnouncedMedia | undefined): { rtp: string; rtcp: string } | undefined => {
      if (m === undefined || m.port === 0 || NO_ADDRESS.has(m.address)) return undefined;
      try {
        return {
          rtp: endpointString(m.address, m.port),
          rtcp: endpointString(NO_ADDRESS.has(m.rtcpAddress) ? m.address : m.rtcpAddress, m.rtcpPort),
        };
      } catch (e) {
        if (!(e instanceof RtpStreamKeyError)) throw e;
        // An SDP address that is a host name or garbage: nothing a packet could match.
        this.counters.inc(`announcements.${e.reason}`);
        return undefined;
      }
    };
    const lines = Math.max(caller?.length ?? 0, callee?.length ?? 0);
    for (let i = 0; i < lines; i++) {
      const a = endpoints(caller?.[i]);
      const b = endpoints(callee?.[i]);
      for (const side of [a, b]) {
        if (side === undefined) continue;
        keys.add(`E ${side.rtp}`);
        keys.add(`E ${side.rtcp}`);
      }
      if (a !== undefined && b !== undefined) {
        keys.add(`P ${joinSorted(a.rtp, b.rtp)}`);
        if (a.rtcp !== a.rtp || b.rtcp !== b.rtp) keys.add(`P ${joinSorted(a.rtcp, b.rtcp)}`);
      }
    }
    let changed = false;
    if (previous !== undefined) {
      for (const key of previous.keys) {
        if (keys.has(key)) continue;
        changed = this.retire(callId, key, atUs) || changed;
      }
    }
    const owned = new Set(previous?.keys ?? []);
    for (const key of keys) {
      const current = this.index.get(key);
      if (current !== undefined && current.callId === callId && current.validUntilUs === Infinity) {
        owned.add(key);
        continue;
      }
      if (current !== undefined && current.callId !== callId && current.announcedUs > atUs) {
        // Another call announced this key later in capture time: it is that call's now.
        this.counters.inc('overtaken');
        continue;
      }
      this.index.set(key, { callId, announcedUs: atUs, validUntilUs: Infinity });
      owned.add(key);
      changed = true;
    }
    this.calls.set(callId, { keys: owned, lastUs: atUs, ended: false });
    if (previous === undefined) this.counters.inc('calls');
    if (changed) this.generation++;
  }

  /** The call ended at capture time `atUs`: its endpoints linger, then go. Ignored when older than what was applied for the call. */
  end(callId: string, atUs: number): void {
    const call = this.calls.get(callId);
    if (call === undefined) return;
    if (atUs < call.lastUs) {
      this.counters.inc('stale');
      return;
    }
    call.lastUs = atUs;
    call.ended = true;
    let changed = false;
    for (const key of call.keys) changed = this.retire(callId, key, atUs) || changed;
    if (changed) this.generation++;
  }

  /**
   * The call a packet between `src` and `dst` (canonical `ip:port`, see endpointString) belongs to
   * at capture time `nowUs`; `pair` is their media key. Undefined when no call announced either.
   */
  lookup(src: string, dst: string, pair: string, nowUs: number): Announcement | undefined {
    let best = this.index.get(`P ${pair}`);
    if (best !== undefined && best.validUntilUs === Infinity) return best;
    if (best !== undefined && best.validUntilUs < nowUs) best = undefined;
    const byDst = this.index.get(`E ${dst}`);
    if (byDst !== undefined && byDst.validUntilUs >= nowUs && (best === undefined || byDst.announcedUs > best.announcedUs)) best = byDst;
    const bySrc = this.index.get(`E ${src}`);
    if (bySrc !== undefined && bySrc.validUntilUs >= nowUs && (best === undefined || bySrc.announcedUs > best.announcedUs)) best = bySrc;
    return best;
  }

  /** Forgets what stopped being valid before `nowUs`. */
  expire(nowUs: number): void {
    let changed = false;
    for (const [callId, call] of this.calls) {
      for (const key of call.keys) {
        const a = this.index.get(key);
        if (a === undefined || a.callId !== callId) {
          call.keys.delete(key);
        } else if (a.validUntilUs < nowUs) {
          this.index.delete(key);
          call.keys.delete(key);
          changed = true;
        }
      }
      if (call.keys.size === 0) this.calls.delete(callId);
    }
    if (changed) this.generation++;
  }

  /** Starts the linger of one key if it is still the call's; returns whether anything changed. */
  private retire(callId: string, key: string, atUs: number): boolean {
    const a = this.index.get(key);
    if (a === undefined || a.callId !== callId || a.validUntilUs !== Infinity) return false;
    a.validUntilUs = atUs + this.lingerUs;
    return true;
  }
}

/** The media key of two canonical endpoint strings, sorted as mediaKey() from @earshot/rtp sorts them. */
function joinSorted(x: string, y: string): string {
  return x <= y ? `${x}|${y}` : `${y}|${x}`;
}
