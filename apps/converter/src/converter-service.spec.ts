import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServiceConfig } from '@earshot/events';
import { effectiveSettings } from './converter-service';

const cfg = (serviceKind: string, o: Partial<ServiceConfig>): ServiceConfig => ({
  serviceKind, revision: 1, updatedAtMs: 0, updatedBy: 'test', recordEveryone: null, localDomains: [], localNumberPatterns: [],
  captureInterface: null, captureFilter: null, batchMaxPackets: null, batchWindowMs: null, recordedCodecs: [], outputChannels: null, settings: {}, ...o,
});

describe('converter settings from qm.config.v1', () => {
  test('outputChannels overrides EARSHOT_OUTPUT_CHANNELS; null falls back to it', () => {
    assert.equal(effectiveSettings(undefined, undefined, 'stereo').layout, 'stereo');
    assert.equal(effectiveSettings(cfg('converter', { outputChannels: 'MONO' }), undefined, 'stereo').layout, 'mono');
    assert.equal(effectiveSettings(cfg('converter', { outputChannels: 'STEREO' }), undefined, 'mono').layout, 'stereo');
    assert.equal(effectiveSettings(cfg('converter', { outputChannels: null }), undefined, 'mono').layout, 'mono');
  });

  test('recordedCodecs: the converter\'s own list, else the recorder\'s, else all', () => {
    assert.deepEqual(effectiveSettings(undefined, undefined, 'stereo').recordedCodecs, []);
    assert.deepEqual(effectiveSettings(cfg('converter', {}), cfg('recorder', { recordedCodecs: ['PCMA'] }), 'stereo').recordedCodecs, ['PCMA']);
    assert.deepEqual(effectiveSettings(cfg('converter', { recordedCodecs: ['PCMU', 'G722'] }), cfg('recorder', { recordedCodecs: ['PCMA'] }), 'stereo').recordedCodecs, ['PCMU', 'G722']);
  });
});
