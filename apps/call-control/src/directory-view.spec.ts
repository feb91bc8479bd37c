import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DirectoryEntry, ServiceConfig } from '@earshot/events';
import { callIdBucket, DirectoryView, normalizeSipUri, type CallToJudge } from './directory-view';

function user(userId: string, over: Partial<DirectoryEntry> = {}): DirectoryEntry {
  return {
    userId, displayName: userId, extensions: [], sipUris: [], devices: [], team: null, supervisorId: null,
    recording: { mode: 'ALWAYS', percentage: 100 }, updatedAtMs: 0, updatedBy: 'test', ...over,
  };
}

function config(over: Partial<ServiceConfig> = {}): ServiceConfig {
  return {
    serviceKind: 'call-control', revision: 1, updatedAtMs: 0, updatedBy: 'test', recordEveryone: null, localDomains: [],
    localNumberPatterns: [], captureInterface: null, captureFilter: null, batchMaxPackets: null, batchWindowMs: null,
    recordedCodecs: [], outputChannels: null, settings: {}, ...over,
  };
}

function call(callId: string, caller: string, callee: string, addresses: { caller?: string[]; callee?: string[] } = {}, asserted?: string): CallToJudge {
  const p = (uri: string) => {
    const m = /^sips?:([^@]+)@([^;>]+)/.exec(uri);
    return { uri, user: m?.[1], host: m?.[2] };
  };
  return { callId, caller: { ...p(caller), asserted: asserted === undefined ? undefined : p(asserted) }, callee: p(callee), callerAddresses: addresses.caller ?? [], calleeAddresses: addresses.callee ?? [] };
}

const base = { recordEveryone: false, localDomains: [], localNumberPatterns: [] };

describe('DirectoryView: who a party is and whether to record', () => {
  test('matches by SIP URI (params, port-less, case and sips ignored), extension, then device IP', () => {
    const v = new DirectoryView(base);
    v.applyDirectory('alice', user('alice', { sipUris: ['sip:alice@PBX.example.com'] }));
    v.applyDirectory('bob', user('bob', { extensions: ['1002'] }));
    v.applyDirectory('carol', user('carol', { devices: [{ ip: '2001:DB8:0::15', description: null }] }));
    assert.equal(v.matchParty({ uri: 'sips:alice@pbx.example.com;transport=tls', user: 'alice', host: 'pbx.example.com' }, []), 'alice');
    assert.equal(v.matchParty({ uri: 'sip:1002@10.1.1.1', user: '1002', host: '10.1.1.1' }, []), 'bob');
    assert.equal(v.matchParty({ uri: 'sip:9999@x', user: '9999', host: 'x' }, ['192.0.2.1', '2001:db8::15']), 'carol');
    assert.equal(v.matchParty({ uri: 'sip:9999@x', user: '9999', host: 'x' }, ['192.0.2.1']), undefined);
  });

  test('the asserted identity is matched before the From URI', () => {
    const v = new DirectoryView(base);
    v.applyDirectory('alice', user('alice', { extensions: ['1001'] }));
    v.applyDirectory('anon', user('anon', { sipUris: ['sip:anonymous@anonymous.invalid'], recording: { mode: 'NEVER', percentage: 0 } }));
    const d = v.decide(call('c1', 'sip:anonymous@anonymous.invalid', 'sip:+4930@carrier.net', {}, 'sip:1001@pbx.example.com'));
    assert.deepEqual([d.record, d.userId, d.callerUserId], [true, 'alice', 'alice']);
  });

  test('ALWAYS records with the user named; NEVER and no match do not', () => {
    const v = new DirectoryView(base);
    v.applyDirectory('alice', user('alice', { extensions: ['1001'] }));
    v.applyDirectory('nina', user('nina', { extensions: ['1003'], recording: { mode: 'NEVER', percentage: 0 } }));
    assert.deepEqual(v.decide(call('c1', 'sip:1001@pbx', 'sip:2001@x')), { record: true, userId: 'alice', callerUserId: 'alice', calleeUserId: null, why: 'rule ALWAYS of alice' });
    assert.equal(v.decide(call('c2', 'sip:1003@pbx', 'sip:2001@x')).record, false);
    assert.equal(v.decide(call('c2', 'sip:1003@pbx', 'sip:2001@x')).why, 'rule NEVER of nina');
    assert.equal(v.decide(call('c3', 'sip:1009@pbx', 'sip:2001@x')).why, 'no user matched');
    // One party's NEVER does not stop the other party's ALWAYS (the callee asked to be recorded).
    assert.deepEqual([v.decide(call('c4', 'sip:1003@pbx', 'sip:1001@pbx')).record, v.decide(call('c4', 'sip:1003@pbx', 'sip:1001@pbx')).userId], [true, 'alice']);
  });

  test('PERCENTAGE picks calls by a stable hash of the call id, about the percentage of them', () => {
    const v = new DirectoryView(base);
    v.applyDirectory('pat', user('pat', { extensions: ['1004'], recording: { mode: 'PERCENTAGE', percentage: 30 } }));
    let recorded = 0;
    for (let i = 0; i < 2000; i++) {
      const id = `call-${i}@example.com`;
      const d = v.decide(call(id, 'sip:1004@pbx', 'sip:2001@x'));
      assert.equal(d.record, callIdBucket(id) < 30);
      assert.deepEqual(v.decide(call(id, 'sip:1004@pbx', 'sip:2001@x')), d, 'the same call id decides the same');
      if (d.record) recorded++;
    }
    assert.ok(recorded > 500 && recorded < 700, `${recorded} of 2000 recorded at 30 %`);
    v.applyDirectory('pat', user('pat', { extensions: ['1004'], recording: { mode: 'PERCENTAGE', percentage: 0 } }));
    assert.equal(v.decide(call('call-1@example.com', 'sip:1004@pbx', 'sip:2001@x')).record, false);
    v.applyDirectory('pat', user('pat', { extensions: ['1004'], recording: { mode: 'PERCENTAGE', percentage: 100 } }));
    assert.equal(v.decide(call('call-1@example.com', 'sip:1004@pbx', 'sip:2001@x')).record, true);
  });

  test('an update re-indexes the user and a tombstone deletes it', () => {
    const v = new DirectoryView(base);
    v.applyDirectory('alice', user('alice', { extensions: ['1001'] }));
    v.applyDirectory('alice', user('alice', { extensions: ['1011'] }));
    assert.equal(v.matchParty({ uri: 'sip:1001@pbx', user: '1001', host: 'pbx' }, []), undefined);
    assert.equal(v.matchParty({ uri: 'sip:1011@pbx', user: '1011', host: 'pbx' }, []), 'alice');
    v.applyDirectory('alice', null);
    assert.equal(v.matchParty({ uri: 'sip:1011@pbx', user: '1011', host: 'pbx' }, []), undefined);
    assert.equal(v.userCount, 0);
  });

  test('a value under a key that is not its user id is not applied, and replaces what the key had', () => {
    const v = new DirectoryView(base);
    v.applyDirectory('alice', user('alice', { extensions: ['1001'] }));
    v.applyDirectory('alice', user('mallory', { extensions: ['1001'] }));
    assert.equal(v.userCount, 0);
    assert.equal(v.keyMismatches, 1);
  });

  test('a shared extension resolves to the smallest user id, whatever the order of arrival', () => {
    const a = new DirectoryView(base);
    a.applyDirectory('zed', user('zed', { extensions: ['1001'] }));
    a.applyDirectory('amy', user('amy', { extensions: ['1001'] }));
    assert.equal(a.matchParty({ uri: 'sip:1001@p', user: '1001', host: 'p' }, []), 'amy');
  });

  test('record everyone: from the setting or the config topic; a matched user rule still names the user', () => {
    const v = new DirectoryView(base);
    v.applyDirectory('alice', user('alice', { extensions: ['1001'] }));
    assert.equal(v.decide(call('c1', 'sip:2001@x', 'sip:2002@x')).record, false);
    v.applyConfig('call-control', config({ recordEveryone: true }));
    assert.deepEqual([v.decide(call('c1', 'sip:2001@x', 'sip:2002@x')).record, v.decide(call('c1', 'sip:2001@x', 'sip:2002@x')).userId], [true, null]);
    assert.equal(v.decide(call('c2', 'sip:1001@x', 'sip:2002@x')).userId, 'alice');
    v.applyConfig('call-control', null);
    assert.equal(v.recordEveryone, false);
    assert.equal(new DirectoryView({ ...base, recordEveryone: true }).recordEveryone, true);
  });

  test('record while the directory is empty: every call until the first user, then the users\' rules', () => {
    const v = new DirectoryView({ ...base, recordWhileEmpty: true });
    assert.equal(v.recordsEveryCallWhileEmpty, true);
    assert.deepEqual([v.decide(call('c1', 'sip:2001@x', 'sip:2002@x')).record, v.decide(call('c1', 'sip:2001@x', 'sip:2002@x')).why], [true, 'directory empty: every call recorded']);
    v.applyDirectory('nina', user('nina', { extensions: ['1003'], recording: { mode: 'NEVER', percentage: 0 } }));
    assert.equal(v.recordsEveryCallWhileEmpty, false);
    assert.equal(v.decide(call('c2', 'sip:2001@x', 'sip:2002@x')).record, false);
    assert.equal(v.decide(call('c3', 'sip:1003@x', 'sip:2002@x')).record, false);
    v.applyDirectory('nina', null);
    assert.equal(v.decide(call('c4', 'sip:1003@x', 'sip:2002@x')).record, true);
    assert.equal(new DirectoryView(base).decide(call('c5', 'sip:2001@x', 'sip:2002@x')).record, false, 'off unless asked for');
  });

  test('the config topic: only the call-control key counts; domains and patterns add to the settings; a bad pattern is reported, the rest apply', () => {
    const v = new DirectoryView({ recordEveryone: false, localDomains: ['a.example'], localNumberPatterns: ['1\\d{3}'] });
    v.applyConfig('recorder', config({ serviceKind: 'recorder', recordEveryone: true }));
    v.applyConfig('key-123', config({ recordEveryone: true }));
    assert.equal(v.recordEveryone, false);
    v.applyConfig('call-control', config({ localDomains: ['b.example'], localNumberPatterns: ['(', '2\\d{3}'] }));
    assert.deepEqual(v.localPolicy.localDomains, ['a.example', 'b.example']);
    assert.deepEqual(v.localPolicy.localNumberPatterns.map((r) => r.source), ['^(?:1\\d{3})$', '^(?:2\\d{3})$']);
    assert.match(v.configProblems[0] ?? '', /localNumberPatterns\[0\] is not a valid regular expression/);
  });

  test('normalizeSipUri', () => {
    assert.equal(normalizeSipUri('<SIP:1001@PBX.Example.com:5060;user=phone>'), 'sip:1001@pbx.example.com');
    assert.equal(normalizeSipUri('tel:+4930123'), 'tel:+4930123');
    assert.equal(normalizeSipUri('not a uri'), undefined);
  });
});
