import { setting } from '@earshot/config';

/** UDP/TCP ports whose every datagram is decoded as SIP (as call control's setting). */
const PORT_LIST = { pattern: /^\d{1,5}$/, hint: 'port numbers from 1 to 65535' };

/** rtp-collector's own settings (beside the common ones). */
export const rtpCollectorSettings = {
  capture: {
    interface: setting.string('EARSHOT_CAPTURE_INTERFACE', 'Interface to capture RTP on.', 'lo'),
    file: setting.optionalString('EARSHOT_CAPTURE_FILE', 'A capture file to read instead of an interface.'),
    reportFile: setting.optionalString('EARSHOT_CAPTURE_REPORT_FILE', 'File mode: where the app writes its report on the capture file (records read, read to the end or not, the damage that cut it short, counters) as JSON once it is processed; earshot record reads it.'),
    filter: setting.string('EARSHOT_RTP_FILTER', 'BPF filter for the RTP capture; it must also let through the SIP whose SDP announces the media (SIP over TCP included).', 'udp or tcp port 5060'),
    snapLength: setting.int('EARSHOT_CAPTURE_SNAPLEN', 'Bytes kept of each packet.', 65535, { min: 64, max: 262144 }),
    bufferSizeMb: setting.int('EARSHOT_CAPTURE_BUFFER_MB', 'Kernel capture ring, MiB: packets wait here while the capture thread is not reading (it never waits for JavaScript); 64 MiB holds about 200,000 RTP packets, 15 s at 200 calls.', 64, { min: 1, max: 1024 }),
  },
  batch: {
    maxPackets: setting.int('EARSHOT_BATCH_MAX_PACKETS', 'Packets per RtpBatch at most.', 50, { min: 1, max: 10_000 }),
    windowMs: setting.int('EARSHOT_BATCH_WINDOW_MS', 'Capture-time span of an RtpBatch at most, and the watermark period: what a live listener and a finished call wait for at least (250 ms keeps live monitoring under 1 s behind and the recorder closing calls within about 1 s of their end).', 250, { min: 1, max: 60_000 }),
  },
  heuristic: setting.bool('EARSHOT_RTP_HEURISTIC', 'Also collect RTP streams that no SDP announced, found by a strict heuristic.', false),
  announcementLingerMs: setting.int('EARSHOT_RTP_ANNOUNCEMENT_LINGER_MS', 'How long a media endpoint stays announced after its call ended or moved its media, in capture time (trailing packets keep their call).', 10_000, { min: 0, max: 600_000 }),
  // SIP is read as call control reads it (same settings, same names): both follow the same calls.
  sipPorts: setting.list('EARSHOT_SIP_PORTS', 'UDP and TCP ports whose traffic is always decoded as SIP.', ['5060', '5061'], PORT_LIST),
  sipOnAnyPort: setting.bool('EARSHOT_SIP_ANY_PORT', 'Also decode datagrams and TCP streams on other ports whose first line looks like SIP (a cheap check keeps RTP out).', true),
  idleTimeoutS: setting.int('EARSHOT_DIALOG_IDLE_TIMEOUT_S', 'A dialog with no end is closed after this long, in capture time.', 4 * 3600, { min: 10, max: 7 * 86400 }),
  callEventLookBackS: setting.int('EARSHOT_RTP_CALL_EVENT_LOOKBACK_S', 'Live capture: at each start, call events of qm.call-control.v1 are read back this far (seconds before now) to learn the media of the calls in progress (never before kafka.startFrom when that is a time).', 4 * 3600, { min: 0, max: 7 * 86400 }),
  hold: {
    ms: setting.int('EARSHOT_RTP_HOLD_MS', 'RTP and RTCP that no call announced yet wait this long (capture time) for a late announcement (call events, SIP seen late) before they are dropped; watermarks stay before the oldest waiting packet. 0: dropped at once.', 3000, { min: 0, max: 60_000 }),
    maxMb: setting.int('EARSHOT_RTP_HOLD_MAX_MB', 'RTP payload waiting for its announcement at most, MiB: past it the oldest goes (counted unannounced.over-limit).', 32, { min: 1, max: 1024 }),
  },
  maxPendingMb: setting.int('EARSHOT_RTP_MAX_PENDING_MB', 'RTP payload not yet acknowledged by Kafka at most, MiB: a file is read no faster; live capture drops batches past it (counted dropped.backpressure).', 64, { min: 1, max: 4096 }),
};
