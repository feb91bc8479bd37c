import type { CallDirection } from '@earshot/events';

/** What direction and directory matching need of a party: its URI parts and the asserted identity's. */
export interface PartyIdentity {
  /** The From/To URI as written. */
  readonly uri: string;
  readonly user: string | undefined;
  readonly host: string | undefined;
  /** The first P-Asserted-Identity, when the network asserted one. */
  readonly asserted?: { readonly uri: string; readonly user: string | undefined; readonly host: string | undefined } | undefined;
}

/** What makes a party ours. */
export interface LocalPolicy {
  /** SIP domains that are ours; a subdomain of one is ours too. Compared case-insensitively. */
  readonly localDomains: readonly string[];
  /** Regular expressions matching a whole extension or number of ours. */
  readonly localNumberPatterns: readonly RegExp[];
}

/** A user part that is a dialable number (digits, with + * # and visual separators). */
const NUMBER_RE = /^\+?[0-9*#][0-9*#().-]*$/;

/**
 * Compiles local number patterns; each must match the whole number. Throws with the index of a bad
 * one (`localNumberPatterns[1] is not a valid regular expression: ...`).
 */
export function compileNumberPatterns(patterns: readonly string[], path = 'localNumberPatterns'): RegExp[] {
  return patterns.map((p, i) => {
    try {
      return new RegExp(`^(?:${p})$`);
    } catch (e) {
      throw new Error(`${path}[${i}] is not a valid regular expression: ${JSON.stringify(p)} (${(e as Error).message})`);
    }
  });
}

function isLocalDomain(host: string | undefined, domains: readonly string[]): boolean {
  if (host === undefined) return false;
  const h = host.toLowerCase();
  return domains.some((d) => {
    const dd = d.toLowerCase();
    return h === dd || h.endsWith(`.${dd}`);
  });
}

/**
 * Whether a party is ours: the asserted identity when there is one (the network vouches for it),
 * else the From/To URI. A party named by a number is judged by the number patterns when some are
 * configured (a trunk puts external numbers in our own domain); otherwise, and for a party named by
 * something else (`sip:alice@...`), by its domain. Undefined when nothing is configured to judge by.
 */
export function isLocalParty(party: PartyIdentity, policy: LocalPolicy): boolean | undefined {
  const id = party.asserted ?? party;
  const user = id.user;
  if (user !== undefined && NUMBER_RE.test(user) && policy.localNumberPatterns.length > 0) {
    const digits = user.replace(/[().-]/g, '');
    return policy.localNumberPatterns.some((re) => re.test(digits) || re.test(user));
  }
  if (policy.localDomains.length > 0) return isLocalDomain(id.host, policy.localDomains);
  if (policy.localNumberPatterns.length > 0 && user !== undefined) return policy.localNumberPatterns.some((re) => re.test(user));
  return undefined;
}

/**
 * The direction of a call relative to the contact centre: both parties ours → INTERNAL, only the
 * caller → OUTBOUND, only the callee → INBOUND; neither, or nothing configured → UNKNOWN.
 */
export function callDirection(caller: PartyIdentity, callee: PartyIdentity, policy: LocalPolicy): CallDirection {
  const a = isLocalParty(caller, policy);
  const b = isLocalParty(callee, policy);
  if (a === true && b === true) return 'INTERNAL';
  if (a === true) return 'OUTBOUND';
  if (b === true) return 'INBOUND';
  return 'UNKNOWN';
}
