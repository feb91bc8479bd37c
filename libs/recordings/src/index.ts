export { RecordingPathError } from './errors';
export { safeCallId, callFolder, legRawPath, callWavPath, temporaryPath, isTemporaryPath } from './recording-layout';
export { resolveInRoot, resolveExistingRecording } from './recordings-root';
export { AtomicFileWriter, writeFileAtomically } from './atomic-file';
