export { CaptureError } from './errors';
export { readCaptureFile } from './read-capture-file';
export type { ReadCaptureFileOptions } from './read-capture-file';
export { LiveCapture } from './live-capture';
export type { LiveCaptureOptions, LiveCaptureStats } from './live-capture';
export { writeCaptureFileReport, readCaptureFileReport } from './capture-file-report';
export type { CaptureFileReport } from './capture-file-report';
