import { writeFileSync } from 'node:fs';
import { buildSyntheticCapture, standardScenario } from '@earshot/call-scenarios';

/**
 * Writes the sample capture the README's main job records: the standard scenario of concurrent
 * calls (answered, busy, cancelled, re-INVITE, TCP, IPv6, fragmented INVITE, a lossy PCMA call).
 * Returns how many calls it holds.
 */
export function writeSampleCapture(file: string, nowMs = Date.now()): number {
  // Dated now (to the minute), so the calls are at the top of the console's call list.
  const capture = buildSyntheticCapture(standardScenario(Math.floor(nowMs / 60_000) * 60_000_000));
  writeFileSync(file, capture.pcap);
  return capture.calls.length;
}
