import { runService } from '@earshot/service';
import { startRtpCollector } from './rtp-collector-service';
import { rtpCollectorSettings } from './rtp-collector-settings';

// RTP collector: captures RTP and publishes RtpBatches keyed by media key (qm.rtp.v1).
void runService({
  kind: 'rtp-collector',
  settings: rtpCollectorSettings,
  start: (ctx) => startRtpCollector(ctx),
});
