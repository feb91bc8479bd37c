export type { Decoded } from './rtp-error';
export { RtpDecodeError, RtcpDecodeError, TelephoneEventDecodeError } from './rtp-error';
export type { RtpPacket, RtpHeaderExtension } from './rtp-header';
export {
  decodeRtpPacket, encodeRtpPacket, encodedSizeRtpPacket, rtpPacketBytes, looksLikeRtp, rtpExtensionForm,
  RTP_EXTENSION_ONE_BYTE_PROFILE, RTP_EXTENSION_TWO_BYTE_PROFILE, RTP_FIXED_HEADER_SIZE, RTP_VERSION,
} from './rtp-header';
export type {
  RtcpPacket, RtcpSenderReport, RtcpReceiverReport, RtcpReportBlock, RtcpSourceDescription, RtcpSdesItem, RtcpBye, RtcpApp, RtcpOther,
} from './rtcp-packet';
export {
  decodeRtcpPacket, decodeRtcpCompound, encodeRtcpPacket, encodedSizeRtcpPacket, rtcpCompoundBytes, looksLikeRtcp, rtcpSenderSsrc,
  RTCP_PT_SR, RTCP_PT_RR, RTCP_PT_SDES, RTCP_PT_BYE, RTCP_PT_APP,
} from './rtcp-packet';
export type { RtpEndpoint, RtpStreamKey } from './rtp-stream-key';
export {
  RtpStreamKeyError, canonicalIp, endpointString, parseEndpoint, mediaKey, mediaKeyOf, rtpStreamKeyString, parseRtpStreamKey,
} from './rtp-stream-key';
export type { TelephoneEvent, DtmfEvent, DtmfPacket } from './telephone-event';
export {
  DtmfCollector, decodeTelephoneEvent, encodeTelephoneEvent, encodedSizeTelephoneEvent, dtmfDigit, TELEPHONE_EVENT_SIZE,
} from './telephone-event';
export type { RtpSequenceOptions, RtpSequenceClass } from './rtp-sequence';
export { RtpSequenceTracker, RtpTimestampExtender } from './rtp-sequence';
export type { RtpStreamStatsOptions, RtpStreamSummary } from './rtp-stream-stats';
export { RtpStreamStats } from './rtp-stream-stats';
export type { StaticPayloadType } from './rtp-payload-types';
export { RTP_AVP_STATIC_PAYLOAD_TYPES, staticPayloadType } from './rtp-payload-types';
export {
  isRtpV2Header, rtpVersion, rtpMarker, rtpPayloadType, rtpSequenceNumber, rtpTimestamp, rtpSsrc, rtpPayloadOffset, rtpPayloadEnd,
} from './rtp-header-view';
