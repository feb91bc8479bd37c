import type { RtpBatch } from '@earshot/events';

/**
 * The Confluent-framed Avro encoding of an RtpBatch (magic byte 0, 4-byte schema id, Avro binary
 * body), written straight into one buffer of the right size.
 *
 * Why not avsc through EventCodec.encode: at 200,000 packets/s the general path (validate, then
 * write into a pool buffer, overflow, write again, copy, then concat the wire header) costs more
 * than parsing the packets. The layout below follows schemas/RtpBatch.avsc field by field, and
 * rtp-batch-avro.spec.ts checks the bytes are identical to avsc's for every kind of batch, so a
 * schema change that this writer does not follow fails the tests.
 */

const WIRE_HEADER_SIZE = 5;
const MAX_VARINT = 10;
const PROTOCOL_INDEX = { RTP: 0, RTCP: 1 } as const;

/** Upper bound of the encoded size of `b` (exact for the packet bytes, generous for varints and strings). */
function maxSize(b: RtpBatch): number {
  let n = WIRE_HEADER_SIZE + 16 * MAX_VARINT;
  n += 3 * (b.batchId.length + b.mediaKey.length + b.instanceId.length + b.stream.sourceAddress.length + b.stream.destinationAddress.length + (b.callId?.length ?? 0));
  for (const p of b.packets) n += 2 * MAX_VARINT + p.data.length;
  return n;
}

/** Writes a zig-zag varint long (Avro int and long) at `pos`; returns the new position. */
function writeLong(buf: Buffer, pos: number, n: number): number {
  if (n >= -1073741824 && n < 1073741824) {
    let m = n >= 0 ? n << 1 : (~n << 1) | 1;
    while (m > 0x7f) {
      buf[pos++] = (m & 0x7f) | 0x80;
      m >>>= 7;
    }
    buf[pos++] = m;
    return pos;
  }
  let f = n >= 0 ? n * 2 : -n * 2 - 1;
  while (f >= 128) {
    const low = f % 128;
    buf[pos++] = low | 0x80;
    f = (f - low) / 128;
  }
  buf[pos++] = f;
  return pos;
}

function writeString(buf: Buffer, pos: number, s: string): number {
  const length = Buffer.byteLength(s, 'utf8');
  pos = writeLong(buf, pos, length);
  return pos + buf.write(s, pos, length, 'utf8');
}

/** The message value of `batch` for qm.rtp.v1, under registry schema id `schemaId`. */
export function encodeRtpBatchMessage(schemaId: number, batch: RtpBatch): Buffer {
  const buf = Buffer.allocUnsafe(maxSize(batch));
  buf[0] = 0;
  buf.writeUInt32BE(schemaId, 1);
  let pos = WIRE_HEADER_SIZE;
  pos = writeString(buf, pos, batch.batchId);
  pos = writeString(buf, pos, batch.mediaKey);
  const s = batch.stream;
  pos = writeLong(buf, pos, PROTOCOL_INDEX[s.protocol]);
  pos = writeString(buf, pos, s.sourceAddress);
  pos = writeLong(buf, pos, s.sourcePort);
  pos = writeString(buf, pos, s.destinationAddress);
  pos = writeLong(buf, pos, s.destinationPort);
  pos = writeLong(buf, pos, s.ssrc);
  if (batch.callId === null) pos = writeLong(buf, pos, 0);
  else pos = writeString(buf, writeLong(buf, pos, 1), batch.callId);
  pos = writeLong(buf, pos, batch.batchSequence);
  pos = writeString(buf, pos, batch.instanceId);
  const packets = batch.packets;
  if (packets.length > 0) {
    pos = writeLong(buf, pos, packets.length);
    for (const p of packets) {
      pos = writeLong(buf, pos, p.captureTimeUs);
      pos = writeLong(buf, pos, p.data.length);
      buf.set(p.data, pos);
      pos += p.data.length;
    }
  }
  pos = writeLong(buf, pos, 0);
  if (batch.watermarkUs === null) pos = writeLong(buf, pos, 0);
  else pos = writeLong(buf, writeLong(buf, pos, 1), batch.watermarkUs);
  return buf.subarray(0, pos);
}
