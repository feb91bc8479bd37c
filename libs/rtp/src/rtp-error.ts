import { EarshotError } from '@earshot/errors';

/** What every decoder of this lib returns: the value and how many bytes it took. */
export interface Decoded<T> {
  value: T;
  size: number;
}

/** An RTP fixed header (with CSRCs, extension and padding) that cannot be decoded or encoded. */
export class RtpDecodeError extends EarshotError {}

/** An RTCP packet or compound packet that cannot be decoded or encoded. */
export class RtcpDecodeError extends EarshotError {}

/** An RFC 4733 telephone-event payload that cannot be decoded or encoded. */
export class TelephoneEventDecodeError extends EarshotError {}
