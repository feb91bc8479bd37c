import { HttpException, HttpStatus } from '@nestjs/common';

/** One field at fault: where (`recording.percentage`, `limit`) and what is wrong with it. */
export interface FieldProblem {
  path: string;
  message: string;
}

/** The body of every error answer: 400 names the fields at fault, the others leave `fields` empty. */
export interface ApiErrorBody {
  error: string;
  fields: FieldProblem[];
}

/** An error answer with the API's body shape. */
export class ApiError extends HttpException {
  constructor(status: HttpStatus, error: string, fields: FieldProblem[] = []) {
    super({ error, fields } satisfies ApiErrorBody, status);
  }
}

/** 400: the input is wrong; `fields` says where. */
export class BadInputError extends ApiError {
  constructor(fields: FieldProblem[], error = 'invalid input') {
    super(HttpStatus.BAD_REQUEST, fields.length === 1 && fields[0] ? `${fields[0].path} ${fields[0].message}` : error, fields);
  }
}

export const notFound = (what: string): ApiError => new ApiError(HttpStatus.NOT_FOUND, `${what} not found`);
export const unauthorized = (why = 'sign in first: a session cookie or a Bearer token is needed'): ApiError =>
  new ApiError(HttpStatus.UNAUTHORIZED, why);
export const forbidden = (why: string): ApiError => new ApiError(HttpStatus.FORBIDDEN, why);
export const conflict = (why: string): ApiError => new ApiError(HttpStatus.CONFLICT, why);
