import { EarshotError } from '@earshot/errors';

/** A SIP message (or a TCP stream of them) that cannot be decoded; `reason` names what was wrong. */
export class SipDecodeError extends EarshotError {
  constructor(reason: string, message: string, cause?: unknown) {
    super(message, { reason, retriable: false, cause });
  }
}

/** An SDP body that cannot be decoded into media a recorder can use; `reason` names what was wrong. */
export class SdpDecodeError extends EarshotError {
  constructor(reason: string, message: string, cause?: unknown) {
    super(message, { reason, retriable: false, cause });
  }
}

/** Options given to a SIP component that are out of range, with the exact field path in the message. */
export class SipOptionsError extends EarshotError {
  constructor(message: string) {
    super(message, { reason: 'bad-options', retriable: false });
  }
}
