import { Partitioners, type PartitionMetadata } from 'kafkajs';

const partitioner = Partitioners.DefaultPartitioner();

/**
 * The partition a keyed message goes to on a topic of `partitions` partitions, as this client's
 * producers place it (murmur2 of the key, the Java client's default): a reader that wants one
 * key's messages reads that partition only.
 */
export function partitionForKey(key: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1) throw new RangeError(`partitions must be a positive integer, got ${partitions}`);
  const partitionMetadata: PartitionMetadata[] = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionErrorCode: 0, partitionId, leader: 0, replicas: [0], isr: [0],
  }));
  return partitioner({ topic: '', partitionMetadata, message: { key, value: null } });
}
