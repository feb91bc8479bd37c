export { u16be, u32be, u64be, u16le, u32le, w16be, w32be, w64be, w16le, w32le, f64be, wf64be } from './endian';
export type { Decoded } from './decoded';
