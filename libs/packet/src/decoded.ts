/** What every decoder returns: the decoded value and how many bytes of the input it used. */
export interface Decoded<T> {
  value: T;
  size: number;
}
