import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { callFolder, callWavPath, isTemporaryPath, legRawPath, safeCallId, temporaryPath } from './recording-layout';
import { RecordingPathError } from './errors';

describe('recording layout (docs/PIPELINE-CONTRACT.md, Files)', () => {
  const cases: Array<{ name: string; callId: string; safe: string }> = [
    { name: 'a typical SIP Call-ID', callId: 'a84b4c76e66710@pc33.example.com', safe: 'a84b4c76e66710@pc33.example.com' },
    { name: 'slashes cannot make folders', callId: 'x/../../etc/passwd', safe: 'x_.._.._etc_passwd' },
    { name: 'spaces, colons and brackets', callId: 'abc def:[::1]', safe: 'abc_def____1_' },
    { name: 'a NUL byte', callId: 'a\0b', safe: 'a_b' },
    { name: 'quirk: "." alone would name the folder itself', callId: '.', safe: '_' },
    { name: 'quirk: ".." alone would climb out', callId: '..', safe: '__' },
    { name: 'non-ASCII letters', callId: 'appel-é', safe: 'appel-_' },
  ];
  for (const c of cases) {
    test(`safeCallId: ${c.name}`, () => assert.equal(safeCallId(c.callId), c.safe));
  }

  test('a leg is filed under the UTC day of the call start', () => {
    const startUs = Date.UTC(2026, 0, 2, 23, 59, 59, 500) * 1000;
    assert.equal(callFolder('c/1', startUs), '2026/01/02/c_1');
    assert.equal(legRawPath('c/1', startUs, 'caller'), '2026/01/02/c_1/caller.raw');
  });

  test("the WAV sits beside the legs, in the first leg's folder", () => {
    assert.equal(callWavPath('c/1', ['2026/01/02/c_1/callee.raw', '2026/01/02/c_1/caller.raw']), '2026/01/02/c_1/c_1.wav');
    assert.throws(() => callWavPath('c', []), (e: unknown) => e instanceof RecordingPathError && e.reason === 'no-legs');
  });

  test('temporary names are told apart from final ones', () => {
    assert.equal(temporaryPath('/r/a.raw', 42), '/r/a.raw.tmp-42');
    assert.equal(isTemporaryPath('/r/a.raw.tmp-42'), true);
    assert.equal(isTemporaryPath('/r/a.raw'), false);
    assert.equal(isTemporaryPath('/r/a.tmp-x.raw'), false);
  });
});
