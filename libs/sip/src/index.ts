export { SipDecodeError, SdpDecodeError, SipOptionsError } from './sip-error';
export { normalizeSipHeaderName, canonicalSipHeaderName, compactSipHeaderName } from './sip-header-names';
export {
  parseSipUri, parseSipNameAddr, parseSipParams, splitSipHeaderList,
  type SipUri, type SipNameAddr,
} from './sip-name-addr';
export {
  decodeSipMessage, encodeSipMessage, encodedSizeSipMessage, getSipHeader, getSipHeaders, parseSipCSeq,
  MAX_SIP_HEADER_BYTES,
  type Decoded, type SipHeader, type SipCSeq, type SipMessage, type SipRequest, type SipResponse, type SipDecodeOptions,
} from './sip-message';
export {
  getSipVias, getSipTopViaBranch, parseSipVia, getSipContacts, getSipPAssertedIdentities, getSipContentType,
  getSipReasons, parseSipReason, formatSipReasons, getSipSdpBody,
  type SipVia, type SipContentType, type SipReason,
} from './sip-headers';
export { SipStreamFramer, type SipStreamFramerOptions } from './sip-stream-framer';
export {
  decodeSdp, buildSdp, sdpSampleRate,
  type SdpSession, type SdpMedia, type SdpCodec, type SdpDirection, type SdpBuildInput,
} from './sdp';
export {
  buildSipRequest, buildSipResponse, formatSipParty, formatSipVia, sipReasonPhrase,
  type SipRequestSpec, type SipResponseSpec, type SipPartySpec, type SipViaSpec,
} from './sip-builder';
export {
  SipDialogTracker,
  type SipDialogTrackerOptions, type SipEndpoint, type SipTransportInfo, type SipIdentity, type SipCallParty,
  type SipSideMedia, type SipCallSide, type SipCallEventBase, type SipCallStarted, type SipCallAnswered,
  type SipCallMediaUpdated, type SipCallEnded, type SipCallFailed, type SipCallEvent,
} from './sip-dialog-tracker';
export { SipCaptureReader, looksLikeSip, type SipCaptureReaderOptions } from './sip-capture-reader';
