import { HOST_PORT, setting } from '@earshot/config';

/** UDP/TCP ports whose every datagram is decoded as SIP. */
const PORT_LIST = { pattern: /^\d{1,5}$/, hint: 'port numbers from 1 to 65535' };

/** call-control's own settings (beside the common ones). */
export const callControlSettings = {
  mode: setting.oneOf('EARSHOT_CALL_CONTROL_MODE', 'sniff: SIP from a live interface or a capture file; agent: pushed by a PBX over HTTP.', 'sniff', ['sniff', 'agent'] as const),
  capture: {
    interface: setting.string('EARSHOT_CAPTURE_INTERFACE', 'Interface to capture SIP on (sniff mode).', 'lo'),
    file: setting.optionalString('EARSHOT_CAPTURE_FILE', 'A capture file to read instead of an interface (sniff mode); the app exits 0 when it is processed.'),
    reportFile: setting.optionalString('EARSHOT_CAPTURE_REPORT_FILE', 'File mode: where the app writes its report on the capture file (records read, read to the end or not, the damage that cut it short, counters) as JSON once it is processed; earshot record reads it.'),
    filter: setting.optionalString('EARSHOT_SIP_FILTER', 'BPF filter for the live SIP capture; default: the SIP ports over UDP and TCP plus IP fragments (a large INVITE\'s later fragments carry no port).'),
    snapLength: setting.int('EARSHOT_CAPTURE_SNAPLEN', 'Bytes kept of each packet.', 65535, { min: 64, max: 262144 }),
  },
  sipPorts: setting.list('EARSHOT_SIP_PORTS', 'UDP and TCP ports whose traffic is always decoded as SIP.', ['5060', '5061'], PORT_LIST),
  sipOnAnyPort: setting.bool('EARSHOT_SIP_ANY_PORT', 'Also decode datagrams and TCP streams on other ports whose first line looks like SIP (a cheap check keeps RTP out).', true),
  recordEveryone: setting.bool('EARSHOT_RECORD_EVERYONE', 'Record every call, whatever the directory says (the call-control entry of qm.config.v1 can turn it on too).', false),
  recordWhileDirectoryEmpty: setting.bool('EARSHOT_RECORD_WHILE_DIRECTORY_EMPTY', 'Record every call while the directory has no user (earshot run turns it on, so a new system records from the start); once it has users, their rules apply.', false),
  localDomains: setting.list('EARSHOT_LOCAL_DOMAINS', 'SIP domains that are ours (subdomains included), for the call direction; added to those of qm.config.v1.', []),
  localNumberPatterns: setting.optionalString('EARSHOT_LOCAL_NUMBER_PATTERNS', 'Regular expressions (whitespace-separated, each matching a whole number) of our extensions, for the call direction; added to those of qm.config.v1.'),
  agent: {
    listen: setting.string('EARSHOT_AGENT_LISTEN', 'host:port of the PBX agent HTTP endpoint (agent mode).', '127.0.0.1:8090', HOST_PORT),
    token: setting.optionalString('EARSHOT_AGENT_TOKEN', 'Bearer token a PBX must present (agent mode; required there).'),
  },
  idleTimeoutS: setting.int('EARSHOT_DIALOG_IDLE_TIMEOUT_S', 'A dialog with no end is closed after this long, in capture time.', 4 * 3600, { min: 10, max: 7 * 86400 }),
};
