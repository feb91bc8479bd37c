import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { callDirection, compileNumberPatterns, isLocalParty, type LocalPolicy, type PartyIdentity } from './call-direction';

function party(uri: string, asserted?: string): PartyIdentity {
  const parts = (u: string) => {
    const m = /^(?:sips?|tel):(?:([^@;]+)@)?([^;:>]+)?/.exec(u);
    return u.startsWith('tel:') ? { uri: u, user: m?.[2], host: undefined } : { uri: u, user: m?.[1], host: m?.[2] };
  };
  return { ...parts(uri), asserted: asserted === undefined ? undefined : parts(asserted) };
}

const policy = (localDomains: string[], patterns: string[]): LocalPolicy => ({ localDomains, localNumberPatterns: compileNumberPatterns(patterns) });

describe('call direction from local domains and number patterns', () => {
  const cases: Array<[string, PartyIdentity, PartyIdentity, LocalPolicy, string]> = [
    ['extension to extension is internal', party('sip:1001@pbx.example.com'), party('sip:1002@pbx.example.com'), policy([], ['1\\d{3}']), 'INTERNAL'],
    ['extension to an outside number is outbound', party('sip:1001@pbx.example.com'), party('sip:+4930123456@pbx.example.com'), policy(['pbx.example.com'], ['1\\d{3}']), 'OUTBOUND'],
    ['outside number to extension is inbound (trunk in our domain: numbers decide)', party('sip:+4930123456@pbx.example.com'), party('sip:1001@pbx.example.com'), policy(['pbx.example.com'], ['1\\d{3}']), 'INBOUND'],
    ['named users judged by domain, subdomains included', party('sip:alice@eu.example.com'), party('sip:bob@carrier.net'), policy(['example.com'], ['1\\d{3}']), 'OUTBOUND'],
    ['domain compare ignores case', party('sip:bob@Carrier.NET'), party('sip:alice@PBX.example.com'), policy(['pbx.example.com'], []), 'INBOUND'],
    ['a look-alike domain is not ours', party('sip:alice@notexample.com'), party('sip:bob@carrier.net'), policy(['example.com'], []), 'UNKNOWN'],
    ['nothing configured: unknown', party('sip:1001@pbx.example.com'), party('sip:1002@pbx.example.com'), policy([], []), 'UNKNOWN'],
    ['asserted identity wins over From', party('sip:anonymous@anonymous.invalid', 'sip:1001@pbx.example.com'), party('sip:+4930123456@carrier.net'), policy(['pbx.example.com'], ['1\\d{3}']), 'OUTBOUND'],
    ['tel: URI judged by its number', party('tel:+4930123456'), party('sip:1001@pbx.example.com'), policy([], ['1\\d{3}']), 'INBOUND'],
    ['a pattern matches the whole number only', party('sip:10012@pbx.example.com'), party('sip:1001@pbx.example.com'), policy([], ['1\\d{3}']), 'INBOUND'],
    ['visual separators are ignored', party('sip:1-001@pbx.example.com'), party('sip:2001@x.net'), policy([], ['1\\d{3}']), 'OUTBOUND'],
  ];
  for (const [name, caller, callee, p, expected] of cases) {
    test(name, () => assert.equal(callDirection(caller, callee, p), expected));
  }

  test('a party with no user and no domains configured is undecided', () => {
    assert.equal(isLocalParty(party('sip:pbx.example.com'), policy([], ['1\\d{3}'])), undefined);
  });

  test('a bad pattern is refused with its index', () => {
    assert.throws(() => compileNumberPatterns(['1\\d{3}', '(']), /localNumberPatterns\[1\] is not a valid regular expression: "\("/);
  });
});
