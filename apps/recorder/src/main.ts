import { runService } from '@earshot/service';
import { recorderSettings } from './recorder-settings';

// Recorder: CallEvents + RtpBatches -> one .raw per leg, RecordingEvents (qm.recordings.v1).
void runService({
  kind: 'recorder',
  settings: recorderSettings,
  start: async ({ config, log }) => {
    log.info('recorder ready', { recordingsDir: config.recordingsDir });
    return { stop: async () => undefined };
  },
});
