import { EarshotError } from '@earshot/errors';

/**
 * Raised by every decoder of wire headers in this lib (link layers, IP, UDP, TCP) and by the
 * frame decoder. `reason` is the counter label: `truncated-header`, `bad-version`, ...
 * Never retriable: the same bytes will never decode.
 */
export class PacketDecodeError extends EarshotError {
  constructor(message: string, reason: string) {
    super(message, { reason, retriable: false });
  }
}

/** Raised by the encoders and frame builders when asked to write something that cannot exist. */
export class PacketEncodeError extends EarshotError {
  constructor(message: string, reason: string) {
    super(message, { reason, retriable: false });
  }
}

/**
 * Raised by the capture file decoders (pcap, pcapng): `not-a-capture-file`, `truncated-record`,
 * `bad-block-length`, `record-too-large`, ...
 */
export class CaptureFileError extends EarshotError {
  constructor(message: string, reason: string) {
    super(message, { reason, retriable: false });
  }
}
