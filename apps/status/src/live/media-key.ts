/** The two endpoints (ip:port) of a media key `a|b` (qm.rtp.v1's key), as the rtp lib writes them. */
export function mediaKeyEndpoints(mediaKey: string): string[] {
  const bar = mediaKey.indexOf('|');
  return bar < 0 ? [mediaKey] : [mediaKey.slice(0, bar), mediaKey.slice(bar + 1)];
}
