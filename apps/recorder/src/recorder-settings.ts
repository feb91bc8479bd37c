import { setting, storageSettings } from '@earshot/config';

/** recorder's own settings (beside the common ones). */
export const recorderSettings = {
  ...storageSettings,
  lingerMs: setting.int('EARSHOT_RECORDER_LINGER_MS', 'A leg stays open this long after its call ended, in capture time.', 2000, { min: 0, max: 600_000 }),
  idleTimeoutS: setting.int('EARSHOT_RECORDER_IDLE_TIMEOUT_S', 'A call with no end is closed after this long without packets, in capture time.', 300, { min: 5, max: 86_400 }),
};
