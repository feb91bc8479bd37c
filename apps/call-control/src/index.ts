// @earshot/call-control's public entry point, for the tests, benchmarks and tools outside the app
// (the service itself starts from main.ts). Nothing else reaches into src/ by a relative path.
export { callControlSettings } from './call-control-settings';
export { CallEventPublisher } from './call-event-publisher';
export { DirectoryView } from './directory-view';
export { SipCapturePipeline } from './sip-capture-pipeline';
