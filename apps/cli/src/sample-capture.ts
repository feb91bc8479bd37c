import { writeFileSync } from 'node:fs';
import { buildSyntheticCapture, standardScenario } from '@earshot/call-scenarios';

/**
 * Writes the sample capture the README's main job records: the standard scenario of concurrent
 * calls (answered, busy, cancelled, re-INVITE, TCP, IPv6, fragmented INVITE, a lossy PCMA call).
 * Returns how many calls it holds.
 */
export function writeSampleCapture(file: string): number {
  const capture = buildSyntheticCapture(standardScenario());
  writeFileSync(file, capture.pcap);
  return capture.calls.length;
}
