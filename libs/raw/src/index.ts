export type { Decoded } from './raw-error';
export { RawDecodeError, RawEncodeError } from './raw-error';
export type {
  LegDirection, RawCodecMapping, RawHeader, RawRecord, RawRtpRecord, RawSsrcChangeRecord, RawDtmfRecord, RawCodecChangeRecord,
  RawTrailerRecord, RawUnknownRecord,
} from './raw-format';
export {
  RAW_MAGIC, RAW_VERSION, RAW_KIND_CODES, decodeRawHeader, encodeRawHeader, encodedSizeRawHeader, decodeRawRecord, encodeRawRecord,
  encodedSizeRawRecord,
} from './raw-format';
export type { RawWriterOptions } from './raw-writer';
export { RawWriter } from './raw-writer';
export type { RawReadResult } from './raw-reader';
export { RawReader, readRaw } from './raw-reader';
