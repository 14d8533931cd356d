import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { ControlPlaneErrorBody, ControlPlaneErrorCode } from '@portcullis/shared/errors';
import type { Response } from 'express';
import { DomainError } from './domain-error';

const BY_STATUS: Record<number, ControlPlaneErrorCode> = {
  400: 'invalid_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'invalid_request',
  422: 'unprocessable',
  429: 'too_many_attempts',
};

/** The single place where errors become HTTP responses. Unknown errors are logged without request data. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (exception instanceof DomainError) {
      for (const [k, v] of Object.entries(exception.headers ?? {})) res.setHeader(k, v);
      this.send(res, exception.status, exception.code, exception.message, exception.details);
      return;
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const code = BY_STATUS[status] ?? (status >= 500 ? 'internal_error' : 'invalid_request');
      const message = status === 404 ? 'No such route' : exception.message;
      this.send(res, status, code, message);
      return;
    }
    this.logger.error(
      exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
    );
    this.send(res, 500, 'internal_error', 'Something went wrong on our side');
  }

  private send(
    res: Response,
    status: number,
    code: ControlPlaneErrorCode,
    message: string,
    details?: ControlPlaneErrorBody['error']['details'],
  ): void {
    const body: ControlPlaneErrorBody = { error: { code, message, ...(details ? { details } : {}) } };
    res.status(status).json(body);
  }
}
