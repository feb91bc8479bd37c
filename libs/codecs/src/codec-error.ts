import { EarshotError } from '@earshot/errors';

/** A payload a codec cannot decode (e.g. an odd number of bytes for L16). */
export class CodecDecodeError extends EarshotError {}
