import { EarshotError } from '@earshot/errors';

/** What every decoder of this lib returns: the value and how many bytes it took. */
export interface Decoded<T> {
  value: T;
  size: number;
}

/** A .raw file (or part of one) that cannot be decoded; `reason` says why (`truncated-record`, ...). */
export class RawDecodeError extends EarshotError {}

/** A header or record that cannot be written (a value out of range, a write after the trailer). */
export class RawEncodeError extends EarshotError {}
