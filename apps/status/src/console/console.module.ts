import { Module } from '@nestjs/common';
import { ConsoleController } from './console.controller';

/** The web console: static HTML, CSS and JS modules that use the REST API under /api. */
@Module({ controllers: [ConsoleController] })
export class ConsoleModule {}
