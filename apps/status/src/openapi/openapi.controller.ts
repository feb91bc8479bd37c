import { Controller, Get } from '@nestjs/common';
import { openApiDocument } from './openapi.document';

@Controller('api')
export class OpenApiController {
  private readonly document = openApiDocument();

  /** The OpenAPI 3.1 document of every route (any identity, like every route but health and login). */
  @Get('openapi.json')
  openapi(): Record<string, unknown> {
    return this.document;
  }
}
