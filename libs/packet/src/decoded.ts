// Decoded<T> is defined once, beside the byte helpers every decoder uses.
export type { Decoded } from '@earshot/bytes';
