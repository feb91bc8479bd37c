/**
 * Which offsets the recorder may commit. Every piece of open work (a call being recorded, an RTP
 * stream held for a call that has not claimed it yet) holds, per partition, the first offset of
 * the messages it was built from; a commit never passes an offset still held, so a crash or a
 * rebalance replays every open leg from its first packet and rewrites the same file.
 *
 * qm.rtp.v1 and qm.call-control.v1 are read by two consumers with separate ledgers. When RTP work
 * is dropped (partitions reassigned), what it held becomes a floor on its partition until the
 * partition is read again from there: a commit racing the rebalance cannot skip the dropped work.
 */
export class CommitLedger<W extends object> {
  private readonly rtp = new Map<W, Map<number, number>>();
  private readonly calls = new Map<W, Map<number, number>>();
  private readonly rtpFloors = new Map<number, number>();

  /** `work` was built from the qm.rtp.v1 message at `offset` of `partition`. */
  holdRtp(work: W, partition: number, offset: number): void {
    hold(this.rtp, work, partition, offset);
  }

  /** `work` was built from the qm.call-control.v1 message at `offset` of `partition`. */
  holdCalls(work: W, partition: number, offset: number): void {
    hold(this.calls, work, partition, offset);
  }

  /** The work is finished (its files are complete) or gone: it holds nothing any more. */
  release(work: W): void {
    this.rtp.delete(work);
    this.calls.delete(work);
  }

  /** A qm.rtp.v1 message at `offset` was read: a floor at or below it is lifted (the dropped work is being rebuilt). */
  readRtp(partition: number, offset: number): void {
    const floor = this.rtpFloors.get(partition);
    if (floor !== undefined && offset >= floor) this.rtpFloors.delete(partition);
  }

  /** Everything read from qm.rtp.v1 is dropped: what it held stays as floors until read again. */
  dropRtp(): void {
    for (const held of this.rtp.values()) {
      for (const [partition, offset] of held) {
        const floor = this.rtpFloors.get(partition);
        if (floor === undefined || offset < floor) this.rtpFloors.set(partition, offset);
      }
    }
    this.rtp.clear();
  }

  /** The qm.rtp.v1 offset to commit instead of `next`: no further than the first message of work still open. */
  rtpCommitOffset(partition: number, next: string): string {
    return String(lowest(this.rtp, partition, Math.min(Number(next), this.rtpFloors.get(partition) ?? Number.POSITIVE_INFINITY)));
  }

  /** The qm.call-control.v1 offset to commit instead of `next`: no further than the first event of a call still open. */
  callCommitOffset(partition: number, next: string): string {
    return String(lowest(this.calls, partition, Number(next)));
  }
}

function hold<W>(book: Map<W, Map<number, number>>, work: W, partition: number, offset: number): void {
  let held = book.get(work);
  if (!held) {
    held = new Map();
    book.set(work, held);
  }
  const at = held.get(partition);
  if (at === undefined || offset < at) held.set(partition, offset);
}

function lowest<W>(book: Map<W, Map<number, number>>, partition: number, start: number): number {
  let min = start;
  for (const held of book.values()) {
    const o = held.get(partition);
    if (o !== undefined && o < min) min = o;
  }
  return min;
}
