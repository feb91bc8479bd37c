export { EarshotError, isRetriable } from './earshot-error';
export { ReasonCounters } from './reason-counters';
export { withRetry, backoffDelay, type RetryOptions } from './retry';
