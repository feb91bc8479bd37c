/** What every wire decoder returns: the decoded value and how many bytes of the input it used. */
export interface Decoded<T> {
  readonly value: T;
  readonly size: number;
}
