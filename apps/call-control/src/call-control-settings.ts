import { setting } from '@earshot/config';

/** call-control's own settings (beside the common ones). */
export const callControlSettings = {
  mode: setting.oneOf('EARSHOT_CALL_CONTROL_MODE', 'sniff: SIP from a live interface or a capture file; agent: pushed by a PBX over HTTP.', 'sniff', ['sniff', 'agent'] as const),
  capture: {
    interface: setting.string('EARSHOT_CAPTURE_INTERFACE', 'Interface to capture SIP on (sniff mode).', 'lo'),
    file: setting.optionalString('EARSHOT_CAPTURE_FILE', 'A capture file to read instead of an interface (sniff mode).'),
    filter: setting.string('EARSHOT_SIP_FILTER', 'BPF filter for the SIP capture.', 'port 5060'),
    snapLength: setting.int('EARSHOT_CAPTURE_SNAPLEN', 'Bytes kept of each packet.', 65535, { min: 64, max: 262144 }),
  },
  agent: {
    listen: setting.string('EARSHOT_AGENT_LISTEN', 'host:port of the PBX agent HTTP endpoint (agent mode).', '127.0.0.1:8090'),
    token: setting.optionalString('EARSHOT_AGENT_TOKEN', 'Bearer token a PBX must present (agent mode).'),
  },
  idleTimeoutS: setting.int('EARSHOT_DIALOG_IDLE_TIMEOUT_S', 'A dialog with no end is closed after this long, in capture time.', 4 * 3600, { min: 10, max: 7 * 86400 }),
};
