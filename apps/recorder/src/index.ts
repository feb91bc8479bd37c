// @earshot/recorder's public entry point, for the tests, benchmarks and tools outside the app
// (the service itself starts from main.ts). Nothing else reaches into src/ by a relative path.
export { recorderSettings } from './recorder-settings';
