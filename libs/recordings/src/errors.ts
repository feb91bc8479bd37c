import { EarshotError } from '@earshot/errors';

/**
 * A recording path that cannot be used: `outside-root` (absolute, `..`, a NUL byte, or a symlink
 * leading out of the recordings folder), `missing`, `not-a-file`.
 */
export class RecordingPathError extends EarshotError {}
