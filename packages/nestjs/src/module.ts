import {
  Global,
  Inject,
  Module,
  type DynamicModule,
  type InjectionToken,
  type MiddlewareConsumer,
  type ModuleMetadata,
  type NestModule,
  type OnModuleDestroy,
  type OptionalFactoryDependency,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { checkOptions, type SessionKitModuleOptions } from './options.js';
import { SESSIONKIT_WIRING, SessionKitService, type Wiring } from './service.js';
import { wire } from './wire.js';

/** The checked module options (inject it to read them). */
export const SESSIONKIT_OPTIONS = Symbol('SessionKitOptions');

export interface SessionKitModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  /** Builds the options, from the providers named in `inject` (a ConfigService, say). */
  useFactory: (...args: never[]) => SessionKitModuleOptions | Promise<SessionKitModuleOptions>;
  inject?: (InjectionToken | OptionalFactoryDependency)[];
}

/**
 * Register once, in the root module: `SessionKitModule.forRoot({ client, secret })`. It sets up
 * the session middleware on the platform the app runs on (Express or Fastify) and provides
 * `SessionKitService` everywhere (a global module).
 */
@Global()
@Module({})
export class SessionKitModule implements NestModule, OnModuleDestroy {
  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(SESSIONKIT_OPTIONS) private readonly options: SessionKitModuleOptions,
    @Inject(SESSIONKIT_WIRING) private readonly wiring: Wiring,
  ) {}

  static forRoot(options: SessionKitModuleOptions): DynamicModule {
    return SessionKitModule.define([], { provide: SESSIONKIT_OPTIONS, useFactory: () => checkOptions(options) });
  }

  static forRootAsync(options: SessionKitModuleAsyncOptions): DynamicModule {
    return SessionKitModule.define(options.imports ?? [], {
      provide: SESSIONKIT_OPTIONS,
      useFactory: async (...args: never[]) => checkOptions(await options.useFactory(...args)),
      inject: options.inject ?? [],
    });
  }

  private static define(imports: NonNullable<ModuleMetadata['imports']>, optionsProvider: NonNullable<ModuleMetadata['providers']>[number]): DynamicModule {
    return {
      module: SessionKitModule,
      imports,
      providers: [optionsProvider, { provide: SESSIONKIT_WIRING, useFactory: (): Wiring => ({}) }, SessionKitService],
      exports: [SessionKitService, SESSIONKIT_OPTIONS],
    };
  }

  /**
   * Nest calls this while the app initialises, once the HTTP adapter is known (also for an app
   * made by @nestjs/testing's createNestApplication) and before it registers any route or any
   * module's middleware: the sessions are set up first, for every route.
   */
  async configure(_consumer: MiddlewareConsumer): Promise<void> {
    if (this.wiring.current) return;
    this.wiring.current = await wire(this.adapterHost.httpAdapter, this.options);
  }

  onModuleDestroy(): void {
    this.wiring.current?.close();
  }
}
