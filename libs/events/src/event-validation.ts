import { Type, type Schema } from 'avsc';
import { EarshotError } from '@earshot/errors';
import { EVENT_SCHEMAS, type EventSchemaName } from './generated/event-schemas';

/** An event value that does not match its schema; `fieldPath` names the first field at fault. */
export class EventValidationError extends EarshotError {
  constructor(
    readonly schemaName: string,
    readonly fieldPath: string,
    message: string,
  ) {
    super(message, { reason: 'invalid-event' });
  }
}

const types = new Map<EventSchemaName, Type>();

/** The avsc type of an event schema, parsed once. */
export function eventType(name: EventSchemaName): Type {
  let type = types.get(name);
  if (!type) {
    type = Type.forSchema(JSON.parse(EVENT_SCHEMAS[name]) as Schema);
    types.set(name, type);
  }
  return type;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Buffer.isBuffer(value)) return `a ${value.length}-byte buffer`;
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Throws EventValidationError naming the exact field path (`caller.uri`, `packets[3].data`) and
 * the value found when `value` is not a valid `name` event; returns it typed otherwise.
 */
export function validateEvent<T>(name: EventSchemaName, value: T): T {
  let first: { path: string; found: unknown; expected: string } | undefined;
  eventType(name).isValid(value, {
    errorHook: (path: string[], found: unknown, type: Type) => {
      if (first) return;
      const fieldPath = path.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
      first = { path: fieldPath, found, expected: type.typeName };
    },
  });
  if (first) {
    throw new EventValidationError(
      name,
      first.path,
      `${name}.${first.path || '(root)'} must be ${first.expected}, got ${describe(first.found)}`,
    );
  }
  return value;
}
