import { setting } from '@earshot/config';

/** rtp-collector's own settings (beside the common ones). */
export const rtpCollectorSettings = {
  capture: {
    interface: setting.string('EARSHOT_CAPTURE_INTERFACE', 'Interface to capture RTP on.', 'lo'),
    file: setting.optionalString('EARSHOT_CAPTURE_FILE', 'A capture file to read instead of an interface.'),
    filter: setting.string('EARSHOT_RTP_FILTER', 'BPF filter for the RTP capture; it must also let through the SIP whose SDP announces the media (SIP over TCP included).', 'udp or tcp port 5060'),
    snapLength: setting.int('EARSHOT_CAPTURE_SNAPLEN', 'Bytes kept of each packet.', 65535, { min: 64, max: 262144 }),
    bufferSizeMb: setting.int('EARSHOT_CAPTURE_BUFFER_MB', 'Kernel capture buffer, MiB.', 32, { min: 1, max: 2048 }),
  },
  batch: {
    maxPackets: setting.int('EARSHOT_BATCH_MAX_PACKETS', 'Packets per RtpBatch at most.', 50, { min: 1, max: 10_000 }),
    windowMs: setting.int('EARSHOT_BATCH_WINDOW_MS', 'Capture-time span of an RtpBatch at most.', 1000, { min: 1, max: 60_000 }),
  },
  heuristic: setting.bool('EARSHOT_RTP_HEURISTIC', 'Also collect RTP streams that no SDP announced, found by a strict heuristic.', false),
  announcementLingerMs: setting.int('EARSHOT_RTP_ANNOUNCEMENT_LINGER_MS', 'How long a media endpoint stays announced after its call ended or moved its media, in capture time (trailing packets keep their call).', 10_000, { min: 0, max: 600_000 }),
  maxPendingMb: setting.int('EARSHOT_RTP_MAX_PENDING_MB', 'RTP payload not yet acknowledged by Kafka at most, MiB: a file is read no faster; live capture drops batches past it (counted dropped.backpressure).', 64, { min: 1, max: 4096 }),
};
