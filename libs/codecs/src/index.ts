export { CodecDecodeError } from './codec-error';
export { PCMU_TABLE, PCMA_TABLE, decodePcmu, decodePcma, decodePcmuInto, decodePcmaInto, encodePcmu, encodePcma } from './g711';
export { G722Decoder, G722Encoder } from './g722';
export { decodeL16, decodeL16Into, encodeL16 } from './l16';
export type { Codec, CodecName } from './codec-registry';
export { codecFor } from './codec-registry';
