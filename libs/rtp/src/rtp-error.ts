import { EarshotError } from '@earshot/errors';

// Decoded<T> is defined once, beside the byte helpers every decoder uses.
export type { Decoded } from '@earshot/bytes';

/** An RTP fixed header (with CSRCs, extension and padding) that cannot be decoded or encoded. */
export class RtpDecodeError extends EarshotError {}

/** An RTCP packet or compound packet that cannot be decoded or encoded. */
export class RtcpDecodeError extends EarshotError {}

/** An RFC 4733 telephone-event payload that cannot be decoded or encoded. */
export class TelephoneEventDecodeError extends EarshotError {}
