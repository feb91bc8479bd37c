import { runService } from '@earshot/service';
import { converterSettings } from './converter-settings';

// Converter: completed .raw legs -> WAV, CONVERTED RecordingEvents (qm.recordings.v1).
void runService({
  kind: 'converter',
  settings: converterSettings,
  start: async ({ config, log }) => {
    log.info('converter ready', { recordingsDir: config.recordingsDir, channels: config.channels });
    return { stop: async () => undefined };
  },
});
