import { setting, storageSettings } from '@earshot/config';

/** recorder's own settings (beside the common ones). */
export const recorderSettings = {
  ...storageSettings,
  // 500 ms: RTP still in flight after a BYE normally arrives within it, and it is waited out before
  // every recording of a call can be finished (call end → WAV counts it in full).
  lingerMs: setting.int('EARSHOT_RECORDER_LINGER_MS', 'A leg stays open this long after its call ended, in capture time (trailing RTP after a BYE; every recording waits it out).', 500, { min: 0, max: 600_000 }),
  idleTimeoutS: setting.int('EARSHOT_RECORDER_IDLE_TIMEOUT_S', 'A call with no end is closed after this long without packets, in capture time.', 300, { min: 5, max: 86_400 }),
  orphanTimeoutS: setting.int('EARSHOT_RECORDER_ORPHAN_TIMEOUT_S', 'An RTP stream no call claims within this capture time is reported as an orphan (or, announced for an unrecorded call, dropped).', 10, { min: 1, max: 3600 }),
  rtpInstances: setting.list('EARSHOT_RECORDER_RTP_INSTANCES', 'Read only the RtpBatches and watermarks these rtp-collector instance ids published (empty: every collector\'s). `earshot record` names its own collector, so a live collector on the same topics cannot move its clock.', []),
  unclaimedMaxMb: setting.int('EARSHOT_RECORDER_UNCLAIMED_MAX_MB', 'MiB of RTP held at most for streams no call has claimed yet; beyond it the oldest are dropped.', 256, { min: 1, max: 65_536 }),
};
