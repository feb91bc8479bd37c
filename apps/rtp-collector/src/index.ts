// @earshot/rtp-collector's public entry point, for the tests, benchmarks and tools outside the app
// (the service itself starts from main.ts). Nothing else reaches into src/ by a relative path.
export { rtpCollectorSettings } from './rtp-collector-settings';

// For tests: what the batches of a run must hold.
export { assertEveryPacketOnce } from './testing/batch-expectations';
