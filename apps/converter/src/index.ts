// @earshot/converter's public entry point, for the tests, benchmarks and tools outside the app
// (the service itself starts from main.ts). Nothing else reaches into src/ by a relative path.
export { converterSettings } from './converter-settings';
export { convertCallToWav, type CompletedLeg, type WrittenConversion } from './call-writer';

// For tests and benchmarks: `.raw` legs built from packets.
export { buildRawLeg, steadyPackets, PCMU, PCMA, G722, TELEPHONE_EVENT, type LegPacket, type RawLegSpec } from './testing/raw-leg';
