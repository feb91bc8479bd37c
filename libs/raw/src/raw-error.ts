import { EarshotError } from '@earshot/errors';

// Decoded<T> is defined once, beside the byte helpers every decoder uses.
export type { Decoded } from '@earshot/bytes';

/** A .raw file (or part of one) that cannot be decoded; `reason` says why (`truncated-record`, ...). */
export class RawDecodeError extends EarshotError {}

/** A header or record that cannot be written (a value out of range, a write after the trailer). */
export class RawEncodeError extends EarshotError {}
