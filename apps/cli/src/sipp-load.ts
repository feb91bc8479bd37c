import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tonePayloads } from '@earshot/call-scenarios';
import { EarshotError } from '@earshot/errors';
import { buildUdpFrame, PcapWriter } from '@earshot/packet';

/** Debian's sip-tester ships these: 7 s of PCMA in 30 ms packets, and RFC 4733 digit 1. */
export const SIPP_PCAPS = '/usr/share/sip-tester';

/** sipp could not be run, or its calls failed. */
export class SippLoadError extends EarshotError {
  constructor(message: string, reason: string) {
    super(message, { reason });
  }
}

export interface SippEndpoint {
  ip: string;
  sipPort: number;
  /** First media port: call n uses mediaPort + 4 × (n − 1) (sipp's [auto_media_port]), up to +9996. */
  mediaPort: number;
}

export interface SippLoadOptions {
  /** Calls to place in all. */
  calls: number;
  /** Calls in progress at once at most (sipp -l). */
  concurrent: number;
  /** New calls per second. Default: concurrent / 9.5 (each call lasts about 9 s), which keeps about `concurrent` in progress. */
  rate?: number;
  /** The callers. Default 127.0.0.1, SIP 5062, media from 20000. */
  uac?: SippEndpoint;
  /** The answerer, which plays audio back. Default 127.0.0.2, SIP 5060, media from 30000. */
  uas?: SippEndpoint;
  /** 30: sipp's g711a.pcap (PCMA, 30 ms packets); 20: 7 s of a PCMA tone in 20 ms packets. Default 30. */
  packetMs?: 20 | 30;
  /** Where the scenarios, media and statistics go. */
  workDir: string;
  /** Told every 2 s. Default: nothing. */
  onProgress?: (p: SippProgress) => void;
}

/** sipp's own counts, from its statistics file. */
export interface SippProgress {
  created: number;
  inProgress: number;
  succeeded: number;
  failed: number;
}

export interface SippLoadResult extends SippProgress {
  exitCode: number;
  /** RTP packets each side sends per call (from the pcaps, counted by tshark). */
  packetsPerCallPerSide: number;
}

const DEFAULT_UAC: SippEndpoint = { ip: '127.0.0.1', sipPort: 5062, mediaPort: 20000 };
const DEFAULT_UAS: SippEndpoint = { ip: '127.0.0.2', sipPort: 5060, mediaPort: 30000 };

const SDP = (codecLine: string) => `v=0
o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [auto_media_port] RTP/AVP 8 101
${codecLine}`;
const CODECS = 'a=rtpmap:8 PCMA/8000\na=rtpmap:101 telephone-event/8000\na=fmtp:101 0-11,16';

/** The caller: INVITE, ACK, 7 s of audio, a digit, BYE about 9 s after the answer. */
function uacScenario(audio: string, digit: string): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="earshot demo caller">
  <send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag09[call_number]
To: [service] <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: sip:sipp@[local_ip]:[local_port]
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

${SDP(CODECS)}
]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rtd="true" crlf="true"/>
  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag09[call_number]
To: [service] <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: sip:sipp@[local_ip]:[local_port]
Max-Forwards: 70
Content-Length: 0

]]></send>
  <nop><action><exec play_pcap_audio="${audio}"/></action></nop>
  <pause milliseconds="8000"/>
  <nop><action><exec play_pcap_audio="${digit}"/></action></nop>
  <pause milliseconds="1000"/>
  <send retrans="500"><![CDATA[
BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag09[call_number]
To: [service] <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Contact: sip:sipp@[local_ip]:[local_port]
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv response="200" crlf="true"/>
</scenario>
`;
}

/** The answerer: answers with its own media port per call, plays the same audio and digit back. */
function uasScenario(audio: string, digit: string): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="earshot demo answerer">
  <recv request="INVITE" crlf="true"/>
  <send><![CDATA[
SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Length: 0

]]></send>
  <send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

${SDP(CODECS)}
]]></send>
  <recv request="ACK" crlf="true"/>
  <nop><action><exec play_pcap_audio="${audio}"/></action></nop>
  <pause milliseconds="7300"/>
  <nop><action><exec play_pcap_audio="${digit}"/></action></nop>
  <recv request="BYE"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Length: 0

]]></send>
</scenario>
`;
}

/** 7 s of a 440 Hz PCMA tone in 20 ms RTP packets (350), as a pcap sipp's play_pcap_audio plays. */
export function writeTwentyMsPcap(file: string): void {
  const payloads = tonePayloads('PCMA', 440, 350);
  const pcap = new PcapWriter();
  payloads.forEach((payload, i) => {
    const rtp = new Uint8Array(12 + payload.length);
    const v = new DataView(rtp.buffer);
    v.setUint8(0, 0x80);
    v.setUint8(1, 8);
    v.setUint16(2, (1000 + i) & 0xffff);
    v.setUint32(4, i * 160);
    v.setUint32(8, 0x2000cafe);
    rtp.set(payload, 12);
    const us = i * 20_000;
    pcap.write(buildUdpFrame({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 5000, dstPort: 2006, payload: rtp }), Math.floor(us / 1e6), (us % 1e6) * 1000);
  });
  writeFileSync(file, pcap.toBytes());
}

/** Packets in a capture file, counted by tshark (independent of Earshot's own readers). */
export function framesIn(file: string): number {
  const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
  if (r.status !== 0) throw new SippLoadError(`tshark could not read ${file}: ${r.stderr}`, 'tshark-failed');
  return r.stdout.split('\n').filter(Boolean).length;
}

function readProgress(statFile: string): SippProgress | null {
  if (!existsSync(statFile)) return null;
  const lines = readFileSync(statFile, 'utf8').trim().split('\n');
  if (lines.length < 2) return null;
  const head = (lines[0] ?? '').split(';');
  const last = (lines.at(-1) ?? '').split(';');
  const get = (name: string) => Number(last[head.indexOf(name)] ?? 0) || 0;
  return { created: get('TotalCallCreated'), inProgress: get('CurrentCall'), succeeded: get('SuccessfulCall(C)'), failed: get('FailedCall(C)') };
}

/**
 * A bounded load of two-way calls with sipp: an answerer on `uas` playing audio back and callers
 * on `uac`, each call on its own media ports on both sides, G.711 PCMA with an RFC 4733 digit.
 * sipp sends media with play_pcap_audio (raw sockets: root or CAP_NET_RAW).
 */
export class SippLoad {
  private uas: ChildProcess | undefined;
  private uac: ChildProcess | undefined;
  private timer: NodeJS.Timeout | undefined;
  readonly uacEndpoint: SippEndpoint;
  readonly uasEndpoint: SippEndpoint;

  constructor(private readonly o: SippLoadOptions) {
    this.uacEndpoint = o.uac ?? DEFAULT_UAC;
    this.uasEndpoint = o.uas ?? DEFAULT_UAS;
  }

  /** Starts the answerer and the callers; resolves when the callers are done (all calls placed and ended). */
  async run(): Promise<SippLoadResult> {
    if (spawnSync('sipp', ['-v']).error) throw new SippLoadError('sipp is not installed (Debian: apt-get install sip-tester)', 'no-sipp');
    const dir = this.o.workDir;
    mkdirSync(dir, { recursive: true });
    const digit = join(SIPP_PCAPS, 'dtmf_2833_1.pcap');
    let audio = join(SIPP_PCAPS, 'g711a.pcap');
    if (this.o.packetMs === 20) {
      audio = join(dir, 'pcma-20ms.pcap');
      writeTwentyMsPcap(audio);
    }
    writeFileSync(join(dir, 'uac.xml'), uacScenario(audio, digit));
    writeFileSync(join(dir, 'uas.xml'), uasScenario(audio, digit));
    const perSide = framesIn(audio) + framesIn(digit);
    const uas = this.uasEndpoint;
    const uac = this.uacEndpoint;
    const uasOut: string[] = [];
    this.uas = spawn('sipp', ['-sf', 'uas.xml', '-i', uas.ip, '-p', String(uas.sipPort), '-mp', String(uas.mediaPort), '-nostdin', '-max_socket', '4096'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    this.uas.stderr?.on('data', (d: Buffer) => uasOut.push(d.toString()));
    await new Promise((r) => setTimeout(r, 700));
    if (this.uas.exitCode !== null) throw new SippLoadError(`the sipp answerer on ${uas.ip}:${uas.sipPort} stopped at once: ${uasOut.join('').slice(-500)}`, 'uas-failed');
    const rate = this.o.rate ?? Math.max(0.1, this.o.concurrent / 9.5);
    const statFile = join(dir, 'uac-stats.csv');
    const uacErr: string[] = [];
    this.uac = spawn('sipp', [
      '-sf', 'uac.xml', `${uas.ip}:${uas.sipPort}`, '-i', uac.ip, '-p', String(uac.sipPort), '-mp', String(uac.mediaPort),
      '-m', String(this.o.calls), '-l', String(this.o.concurrent), '-r', String(Math.max(1, Math.round(rate * 10))), '-rp', '10000',
      '-nostdin', '-timeout', `${Math.ceil(this.o.calls / rate + 120)}s`, '-max_socket', '4096',
      '-trace_stat', '-stf', statFile, '-fd', '1',
    ], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    this.uac.stderr?.on('data', (d: Buffer) => uacErr.push(d.toString()));
    if (this.o.onProgress) {
      this.timer = setInterval(() => {
        const p = readProgress(statFile);
        if (p) this.o.onProgress?.(p);
      }, 2000);
    }
    const exitCode = await new Promise<number>((r) => this.uac?.once('exit', (code) => r(code ?? 1)));
    if (this.timer) clearInterval(this.timer);
    // The last answerer media and the BYE's answer are on the wire by now; let the digit finish.
    await new Promise((r) => setTimeout(r, 500));
    this.uas.kill('SIGTERM');
    const p = readProgress(statFile) ?? { created: 0, inProgress: 0, succeeded: 0, failed: this.o.calls };
    if (exitCode !== 0 && p.succeeded === 0) throw new SippLoadError(`sipp callers failed (exit ${exitCode}): ${uacErr.join('').slice(-800)}`, 'uac-failed');
    return { ...p, exitCode, packetsPerCallPerSide: perSide };
  }

  /** Stops both sipp processes now. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.uac?.kill('SIGKILL');
    this.uas?.kill('SIGKILL');
  }
}
