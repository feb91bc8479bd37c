export { EarshotError, isRetriable } from './earshot-error';
export { ReasonCounters } from './reason-counters';
