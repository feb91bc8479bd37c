import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { AccountsController } from '../accounts/accounts.controller';
import { AuthController } from '../auth/auth.controller';
import { CallsController } from '../calls/calls.controller';
import { DirectoryController } from '../directory/directory.controller';
import { HealthController } from '../health/health.controller';
import { ServiceConfigController } from '../service-config/service-config.controller';
import { ServicesController } from '../services/services.controller';
import { OpenApiController } from './openapi.controller';
import { openApiDocument } from './openapi.document';

const CONTROLLERS = [AccountsController, AuthController, CallsController, DirectoryController, HealthController, ServiceConfigController, ServicesController, OpenApiController];

/** "GET /api/calls/{callId}" for every handler the controllers declare, read from Nest's own metadata. */
function declaredRoutes(): string[] {
  const out: string[] = [];
  for (const controller of CONTROLLERS) {
    const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
    for (const name of Object.getOwnPropertyNames(controller.prototype)) {
      const handler: unknown = Object.getOwnPropertyDescriptor(controller.prototype, name)?.value;
      if (typeof handler !== 'function' || name === 'constructor') continue;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (method === undefined) continue;
      const sub = String(Reflect.getMetadata(PATH_METADATA, handler) ?? '');
      const path = `/${[base, sub].filter((s) => s && s !== '/').join('/')}`.replace(/:([A-Za-z]+)/g, '{$1}');
      out.push(`${RequestMethod[method]} ${path}`);
    }
  }
  return out.sort();
}

test('the OpenAPI document names exactly the routes the controllers declare', () => {
  const doc = openApiDocument() as { paths: Record<string, Record<string, unknown>> };
  const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort();
  assert.deepEqual(documented, declaredRoutes());
});

test('every $ref points at a schema that exists', () => {
  const doc = openApiDocument() as { components: { schemas: Record<string, unknown> } };
  const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([A-Za-z]+)"/g)].map((m) => m[1] ?? '');
  assert.ok(refs.length > 20);
  for (const r of refs) assert.ok(r in doc.components.schemas, `missing schema ${r}`);
});
