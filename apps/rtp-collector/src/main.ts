import { runService } from '@earshot/service';
import { rtpCollectorSettings } from './rtp-collector-settings';

// RTP collector: captures RTP and publishes RtpBatches keyed by media key (qm.rtp.v1).
void runService({
  kind: 'rtp-collector',
  settings: rtpCollectorSettings,
  start: async ({ config, log }) => {
    log.info('rtp collector ready', { interface: config.capture.interface, file: config.capture.file, batch: config.batch });
    return { stop: async () => undefined };
  },
});
