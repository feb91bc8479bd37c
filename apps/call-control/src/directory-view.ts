import { createHash } from 'node:crypto';
import type { DirectoryEntry, ServiceConfig } from '@earshot/events';
import { formatIpv4, formatIpv6, parseIpAddress } from '@earshot/packet';
import { parseSipUri } from '@earshot/sip';
import { compileNumberPatterns, type LocalPolicy, type PartyIdentity } from './call-direction';


/**
 * The qm.config.v1 key under which the status service lists the agent-ingest API tokens it issued
 * (`settings.tokenSha256`: comma-separated SHA-256 hex digests), so a PBX can use them here.
 */
export const AGENT_TOKENS_CONFIG_KEY = 'call-control-agent-tokens';

/** The settings the view starts from; qm.config.v1's call-control entry adds to them. */
export interface DirectoryBaseSettings {
  /** EARSHOT_RECORD_EVERYONE; the config topic can turn it on too, never off. */
  readonly recordEveryone: boolean;
  /**
   * EARSHOT_RECORD_WHILE_DIRECTORY_EMPTY: every call is recorded while the directory has no user
   * (a new system records from the start); once it has users, their rules apply. Default false.
   */
  readonly recordWhileEmpty?: boolean;
  readonly localDomains: readonly string[];
  readonly localNumberPatterns: readonly string[];
}

/** A call as the directory judges it: its parties and the addresses their devices use. */
export interface CallToJudge {
  readonly callId: string;
  readonly caller: PartyIdentity;
  readonly callee: PartyIdentity;
  /** Addresses of the caller's device: where its INVITE came from, its SDP connection address. */
  readonly callerAddresses: readonly string[];
  /** Addresses of the callee's device: where the INVITE went, its SDP connection address. */
  readonly calleeAddresses: readonly string[];
}

/** Whether to record a call, and because of whom. */
export interface RecordingDecision {
  readonly record: boolean;
  /** The user whose rule made the call recorded; null when recorded by record-everyone (or not recorded). */
  readonly userId: string | null;
  /** The directory users the parties matched, for logs. */
  readonly callerUserId: string | null;
  readonly calleeUserId: string | null;
  /** Why, in a few words: `rule ALWAYS of alice`, `record everyone`, `no user matched`, ... */
  readonly why: string;
}

/** The part of a stable hash of the call id that PERCENTAGE compares with its percentage: 0 to 99. */
export function callIdBucket(callId: string): number {
  return createHash('sha256').update(callId).digest().readUInt32BE(0) % 100;
}

/** `sip:1001@pbx.example.com;user=phone` → `sip:1001@pbx.example.com` (sips as sip, host lower-case); undefined when not a URI. */
export function normalizeSipUri(uri: string): string | undefined {
  try {
    const u = parseSipUri(uri.trim().replace(/^<|>$/g, ''));
    const scheme = u.scheme === 'sips' ? 'sip' : u.scheme;
    if (u.host === undefined) return u.user === undefined ? undefined : `${scheme}:${u.user}`;
    return `${scheme}:${u.user === undefined ? '' : `${u.user}@`}${u.host.toLowerCase()}`;
  } catch {
    return undefined;
  }
}

/** An extension or number without visual separators: `+49 (30) 123-4` → `+49301234`. */
export function normalizeNumber(n: string): string {
  return n.trim().replace(/[\s().-]/g, '');
}

/** An IP address in its canonical text (IPv6 compressed, lower-case); the input when it is not one. */
export function normalizeIp(ip: string): string {
  try {
    const a = parseIpAddress(ip.trim());
    return a.version === 4 ? formatIpv4(a.bytes, 0) : formatIpv6(a.bytes, 0);
  } catch {
    return ip.trim().toLowerCase();
  }
}

class Index {
  private readonly map = new Map<string, Set<string>>();
  add(key: string, userId: string): void {
    let set = this.map.get(key);
    if (set === undefined) this.map.set(key, (set = new Set()));
    set.add(userId);
  }
  remove(key: string, userId: string): void {
    const set = this.map.get(key);
    if (set === undefined) return;
    set.delete(userId);
    if (set.size === 0) this.map.delete(key);
  }
  /** The user of a key; of several (a shared extension), the smallest id, so the choice is stable. */
  get(key: string | undefined): string | undefined {
    if (key === undefined) return undefined;
    const set = this.map.get(key);
    if (set === undefined) return undefined;
    let best: string | undefined;
    for (const id of set) if (best === undefined || id < best) best = id;
    return best;
  }
}

/**
 * The directory (qm.directory.v1) and call-control's configuration (qm.config.v1) in memory, as
 * the topics say now: entries are applied as they are read, a null value deletes a user. Answers
 * who a call's parties are and whether to record the call.
 *
 * Matching a party, first hit wins: its asserted identity (the network vouches for it) by URI then
 * by its user part as an extension, the same for its From/To URI, then the device addresses. A call is recorded when record-everyone is on,
 * or while the directory is empty when recordWhileEmpty is set,
 * or when a matched user's rule says so (ALWAYS; PERCENTAGE when the call id's stable bucket is
 * below the percentage; NEVER never) — the caller's user first, then the callee's. One party's
 * NEVER does not stop the other party's ALWAYS: that user asked to be recorded.
 */
export class DirectoryView {
  private readonly users = new Map<string, DirectoryEntry>();
  private readonly byUri = new Index();
  private readonly byNumber = new Index();
  private readonly byIp = new Index();
  private config: ServiceConfig | null = null;
  private agentTokenDigests: ReadonlySet<string> = new Set();
  private configPatterns: RegExp[] = [];
  private readonly basePatterns: RegExp[];
  /** Records whose key is not the user id / service kind their value names (not applied). */
  keyMismatches = 0;
  /** Problems with the configuration entry, for the app to log. */
  configProblems: string[] = [];

  constructor(private readonly base: DirectoryBaseSettings) {
    this.basePatterns = compileNumberPatterns(base.localNumberPatterns);
  }

  get userCount(): number {
    return this.users.size;
  }

  user(userId: string): DirectoryEntry | undefined {
    return this.users.get(userId);
  }

  /** Applies one qm.directory.v1 record: an entry, or null (tombstone) to delete the key. */
  applyDirectory(key: string, entry: DirectoryEntry | null): void {
    const old = this.users.get(key);
    if (old !== undefined) this.unindex(old);
    this.users.delete(key);
    if (entry === null) return;
    // The key is the user id (compaction keeps the latest value per key): a value naming another
    // user is not a valid entry for this key, so the key ends up with none.
    if (entry.userId !== key) {
      this.keyMismatches++;
      return;
    }
    this.users.set(key, entry);
    this.index(entry);
  }

  /** Applies one qm.config.v1 record; the call-control entry and the agent tokens matter here. */
  applyConfig(key: string, config: ServiceConfig | null): void {
    if (key === AGENT_TOKENS_CONFIG_KEY) {
      // The agent-ingest tokens the status service issued, as SHA-256 hex digests (never the tokens).
      const listed = config?.serviceKind === key ? config.settings['tokenSha256'] ?? '' : '';
      this.agentTokenDigests = new Set(listed.split(',').map((h) => h.trim().toLowerCase()).filter((h) => /^[0-9a-f]{64}$/.test(h)));
      return;
    }
    // Keyed by service kind; a value under another key is not call-control's entry.
    if (key !== 'call-control') return;
    if (config !== null && config.serviceKind !== key) {
      this.keyMismatches++;
      config = null;
    }
    this.config = config;
    this.configProblems = [];
    this.configPatterns = [];
    // A bad pattern is left out (and reported); the others still apply.
    for (const [i, p] of (config?.localNumberPatterns ?? []).entries()) {
      try {
        this.configPatterns.push(...compileNumberPatterns([p], `qm.config.v1 call-control localNumberPatterns[${i}]`));
      } catch (e) {
        this.configProblems.push((e as Error).message.replace(`[${i}][0]`, `[${i}]`));
      }
    }
  }

  /** SHA-256 hex digests of the agent-ingest API tokens issued by the status service. */
  get agentTokenSha256s(): ReadonlySet<string> {
    return this.agentTokenDigests;
  }

  /** Record-everyone: the setting, or the config topic. */
  get recordEveryone(): boolean {
    return this.base.recordEveryone || this.config?.recordEveryone === true;
  }

  /** Whether every call is recorded now because the directory is empty (and the setting allows it). */
  get recordsEveryCallWhileEmpty(): boolean {
    return this.base.recordWhileEmpty === true && this.users.size === 0;
  }

  /** The local domains and number patterns of the settings and the config topic together. */
  get localPolicy(): LocalPolicy {
    return {
      localDomains: [...this.base.localDomains, ...(this.config?.localDomains ?? [])],
      localNumberPatterns: [...this.basePatterns, ...this.configPatterns],
    };
  }

  /** The directory user a party is, by URI, extension, then device address. */
  matchParty(party: PartyIdentity, addresses: readonly string[]): string | undefined {
    const ids = party.asserted === undefined ? [party] : [party.asserted, party];
    for (const id of ids) {
      const hit = this.byUri.get(normalizeSipUri(id.uri)) ?? this.byNumber.get(id.user === undefined ? undefined : normalizeNumber(id.user));
      if (hit !== undefined) return hit;
    }
    for (const ip of addresses) {
      const hit = this.byIp.get(normalizeIp(ip));
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  /** Whether to record a call, deterministic for the directory as it stands. */
  decide(call: CallToJudge): RecordingDecision {
    const callerUserId = this.matchParty(call.caller, call.callerAddresses) ?? null;
    const calleeUserId = this.matchParty(call.callee, call.calleeAddresses) ?? null;
    const reasons: string[] = [];
    for (const userId of [callerUserId, calleeUserId]) {
      if (userId === null) continue;
      const rule = this.users.get(userId)?.recording;
      if (rule === undefined) continue;
      if (rule.mode === 'ALWAYS') return { record: true, userId, callerUserId, calleeUserId, why: `rule ALWAYS of ${userId}` };
      if (rule.mode === 'PERCENTAGE') {
        const bucket = callIdBucket(call.callId);
        if (bucket < rule.percentage) return { record: true, userId, callerUserId, calleeUserId, why: `rule PERCENTAGE ${rule.percentage} of ${userId} (bucket ${bucket})` };
        reasons.push(`rule PERCENTAGE ${rule.percentage} of ${userId} (bucket ${bucket})`);
      } else {
        reasons.push(`rule NEVER of ${userId}`);
      }
    }
    if (this.recordEveryone) return { record: true, userId: null, callerUserId, calleeUserId, why: 'record everyone' };
    if (this.recordsEveryCallWhileEmpty) return { record: true, userId: null, callerUserId, calleeUserId, why: 'directory empty: every call recorded' };
    return { record: false, userId: null, callerUserId, calleeUserId, why: reasons.length > 0 ? reasons.join(', ') : 'no user matched' };
  }

  private keys(e: DirectoryEntry): { uris: string[]; numbers: string[]; ips: string[] } {
    return {
      uris: e.sipUris.map(normalizeSipUri).filter((u): u is string => u !== undefined),
      numbers: e.extensions.map(normalizeNumber).filter((n) => n !== ''),
      ips: e.devices.map((d) => normalizeIp(d.ip)).filter((ip) => ip !== ''),
    };
  }

  private index(e: DirectoryEntry): void {
    const k = this.keys(e);
    for (const u of k.uris) this.byUri.add(u, e.userId);
    for (const n of k.numbers) this.byNumber.add(n, e.userId);
    for (const ip of k.ips) this.byIp.add(ip, e.userId);
  }

  private unindex(e: DirectoryEntry): void {
    const k = this.keys(e);
    for (const u of k.uris) this.byUri.remove(u, e.userId);
    for (const n of k.numbers) this.byNumber.remove(n, e.userId);
    for (const ip of k.ips) this.byIp.remove(ip, e.userId);
  }
}
