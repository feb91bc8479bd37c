import { Catch, HttpException, HttpStatus, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import type { ApiErrorBody } from './api-errors';

function isApiErrorBody(body: unknown): body is ApiErrorBody {
  return typeof body === 'object' && body !== null && typeof (body as ApiErrorBody).error === 'string' && Array.isArray((body as ApiErrorBody).fields);
}

/**
 * Every error leaves as `{error, fields}`: ours as thrown, Nest's own (malformed JSON, unknown
 * route) reworded, anything unexpected as a 500 that is logged and not explained to the client.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly log = new Logger('api');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    let status = HttpStatus.INTERNAL_SERVER_ERROR;
    let body: ApiErrorBody = { error: 'internal error', fields: [] };
    if (exception instanceof HttpException) {
      status = exception.getStatus();
      const raw = exception.getResponse();
      if (isApiErrorBody(raw)) body = raw;
      else if (status === HttpStatus.BAD_REQUEST) body = { error: `malformed request: ${exception.message}`, fields: [{ path: '(body)', message: exception.message }] };
      else body = { error: exception.message, fields: [] };
    } else {
      this.log.error(`unexpected error: ${exception instanceof Error ? (exception.stack ?? exception.message) : String(exception)}`);
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(status).json(body);
  }
}
