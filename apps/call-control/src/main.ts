import { runService } from '@earshot/service';
import { callControlSettings } from './call-control-settings';

// Call control: follows SIP dialogs and publishes CallEvents (qm.call-control.v1).
void runService({
  kind: 'call-control',
  settings: callControlSettings,
  start: async ({ config, log }) => {
    log.info('call control ready', { mode: config.mode, interface: config.capture.interface, file: config.capture.file });
    return { stop: async () => undefined };
  },
});
