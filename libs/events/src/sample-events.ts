import type {
  AuditEntry, CallEvent, DirectoryEntry, RecordingEvent, RtpBatch, ServiceConfig, ServiceHeartbeat,
} from './generated/event-types';
import type { TopicValues } from './generated/topics';

const CAPTURE_US = 1_763_942_400_000_000; // 2025-11-24T00:00:00Z

/**
 * One valid event per topic, filled in as a real call would be. Tests use them as a starting
 * point (and tweak fields); each is a fresh object, so callers may mutate it.
 */
export function sampleEvents(): { [T in keyof TopicValues]: TopicValues[T] } {
  const callEvent: CallEvent = {
    eventId: 'c0ffee00c0ffee00c0ffee00c0ffee00',
    callId: 'a84b4c76e66710@pc33.example.com',
    kind: 'ANSWERED',
    sequence: 1,
    captureTimeUs: CAPTURE_US + 2_500_000,
    source: 'SNIFF',
    instanceId: 'call-control@host-1',
    caller: { uri: 'sip:1001@pbx.example.com', user: '1001', displayName: 'Alice Agent', assertedIdentity: null, tag: '1928301774' },
    callee: { uri: 'sip:+15551234567@pbx.example.com', user: '+15551234567', displayName: null, assertedIdentity: 'sip:+15551234567@carrier.example.net', tag: 'a6c85cf' },
    direction: 'OUTBOUND',
    recordedUserId: 'alice',
    callerMedia: [{ media: 'audio', address: '10.0.0.11', port: 40000, rtcpPort: null, mode: 'SENDRECV', ptimeMs: 20,
      codecs: [{ payloadType: 0, name: 'PCMU', clockRate: 8000, channels: 1, fmtp: null },
        { payloadType: 101, name: 'telephone-event', clockRate: 8000, channels: 1, fmtp: '0-16' }] }],
    calleeMedia: [{ media: 'audio', address: '192.0.2.20', port: 50000, rtcpPort: 50001, mode: 'SENDRECV', ptimeMs: null,
      codecs: [{ payloadType: 0, name: 'PCMU', clockRate: 8000, channels: 1, fmtp: null }] }],
    signalling: { transport: 'udp', source: '192.0.2.20:5060', destination: '10.0.0.11:5060' },
    endedBy: null,
    failureStatus: null,
    reason: null,
  };
  const rtpBatch: RtpBatch = {
    batchId: 'udp:10.0.0.11:40000>192.0.2.20:50000#305419896/0',
    mediaKey: '10.0.0.11:40000|192.0.2.20:50000',
    stream: { protocol: 'RTP', sourceAddress: '10.0.0.11', sourcePort: 40000, destinationAddress: '192.0.2.20', destinationPort: 50000, ssrc: 305419896 },
    callId: callEvent.callId,
    batchSequence: 0,
    instanceId: 'rtp-collector@host-1',
    watermarkUs: null,
    packets: [
      { captureTimeUs: CAPTURE_US + 3_000_000, data: Buffer.from('800000010000000012345678ffffffff', 'hex') },
      { captureTimeUs: CAPTURE_US + 3_020_000, data: Buffer.from('80000002000000a012345678ffffffff', 'hex') },
    ],
  };
  const recordingEvent: RecordingEvent = {
    eventId: '0ddba11c0ddba11c0ddba11c0ddba11c',
    callId: callEvent.callId,
    kind: 'LEG_COMPLETED',
    captureTimeUs: CAPTURE_US + 65_000_000,
    instanceId: 'recorder@host-1',
    leg: { legId: 'caller', side: 'CALLER', source: '10.0.0.11:40000', destination: '192.0.2.20:50000', ssrcs: [305419896],
      codecs: ['PCMU'], rawPath: '2025/11/24/a84b4c76e66710@pc33.example.com/caller.raw', rawSha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      firstCaptureTimeUs: CAPTURE_US + 3_000_000, lastCaptureTimeUs: CAPTURE_US + 62_000_000 },
    stats: { packets: 2950, expected: 2952, lost: 2, duplicated: 0, outOfOrder: 1, late: 0, jitterMs: 1.25, maxJitterMs: 4.5,
      dtmf: [{ digit: '5', captureTimeUs: CAPTURE_US + 10_000_000, durationMs: 120 }] },
    conversion: null,
    error: null,
  };
  const directoryEntry: DirectoryEntry = {
    userId: 'alice',
    displayName: 'Alice Agent',
    extensions: ['1001'],
    sipUris: ['sip:1001@pbx.example.com'],
    devices: [{ ip: '10.0.0.11', description: 'desk 12' }],
    team: 'support',
    supervisorId: 'sam',
    recording: { mode: 'ALWAYS', percentage: 100 },
    updatedAtMs: 1_763_942_400_000,
    updatedBy: 'admin',
  };
  const serviceConfig: ServiceConfig = {
    serviceKind: 'call-control',
    revision: 3,
    updatedAtMs: 1_763_942_400_000,
    updatedBy: 'admin',
    recordEveryone: false,
    localDomains: ['pbx.example.com'],
    localNumberPatterns: ['^1\\d{3}$'],
    captureInterface: 'eth0',
    captureFilter: 'udp port 5060 or tcp port 5060',
    batchMaxPackets: null,
    batchWindowMs: null,
    recordedCodecs: [],
    outputChannels: null,
    settings: { agentListen: '127.0.0.1:8090' },
  };
  const heartbeat: ServiceHeartbeat = {
    instanceId: 'recorder@host-1:4242',
    serviceKind: 'recorder',
    host: 'host-1',
    pid: 4242,
    version: '0.1.0',
    state: 'RUNNING',
    startedAtMs: 1_763_942_000_000,
    sentAtMs: 1_763_942_400_000,
    lag: 12,
    counters: { 'packets.written': 123456, 'dropped.no-call': 3 },
    assignments: ['qm.rtp.v1[0]', 'qm.rtp.v1[3]'],
  };
  const audit: AuditEntry = {
    eventId: 'b1e55ed0b1e55ed0b1e55ed0b1e55ed0',
    userId: 'sam',
    action: 'PLAY',
    callId: callEvent.callId,
    detail: 'bytes=0-',
    atMs: 1_763_942_500_000,
    remoteAddress: '127.0.0.1',
  };
  return {
    'qm.call-control.v1': callEvent,
    'qm.rtp.v1': rtpBatch,
    'qm.recordings.v1': recordingEvent,
    'qm.directory.v1': directoryEntry,
    'qm.config.v1': serviceConfig,
    'qm.services.v1': heartbeat,
    'qm.audit.v1': audit,
  };
}
