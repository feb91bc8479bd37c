import { EarshotError } from '@earshot/errors';

/**
 * Raised by live capture and file reading for what is not a file-format problem:
 * `bad-option` (with the option's path in the message), `open-failed` (with libpcap's message),
 * `capture-failed` (a running capture stopped, e.g. the interface went away), `file-unreadable`.
 * Capture-file format problems are @earshot/packet's CaptureFileError (`not-a-capture-file`, ...).
 */
export class CaptureError extends EarshotError {}
