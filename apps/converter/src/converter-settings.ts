import { setting, storageSettings } from '@earshot/config';

/** converter's own settings (beside the common ones). */
export const converterSettings = {
  ...storageSettings,
  channels: setting.oneOf('EARSHOT_OUTPUT_CHANNELS', 'stereo: caller left, callee right; mono: both mixed.', 'stereo', ['stereo', 'mono'] as const),
};
