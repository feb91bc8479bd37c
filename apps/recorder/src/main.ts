import { runService } from '@earshot/service';
import { recorderSettings } from './recorder-settings';
import { startRecorder } from './recorder-service';

// Recorder: CallEvents + RtpBatches -> one .raw per leg, RecordingEvents (qm.recordings.v1).
void runService({ kind: 'recorder', settings: recorderSettings, start: startRecorder });
