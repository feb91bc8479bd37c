import { runService } from '@earshot/service';
import { converterSettings } from './converter-settings';
import { ConverterService } from './converter-service';

// Converter: completed .raw legs -> WAV, CONVERTED RecordingEvents (qm.recordings.v1).
void runService({
  kind: 'converter',
  settings: converterSettings,
  start: async ({ config, log, kafka, codec, counters, instanceId }) => {
    const service = new ConverterService({
      kafka, codec, log, counters, instanceId,
      recordingsDir: config.recordingsDir,
      groupPrefix: config.kafka.groupPrefix,
      startFrom: config.kafka.startFrom,
      defaultLayout: config.channels,
    });
    await service.start();
    log.info('converter ready', { recordingsDir: config.recordingsDir, channels: config.channels });
    return { stop: () => service.stop() };
  },
});
