export { u16be, u32be, u16le, u32le, w16be, w32be, w16le, w32le } from './endian';
