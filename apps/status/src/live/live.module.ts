import { Module } from '@nestjs/common';
import { CallsModule } from '../calls/calls.module';
import { LiveController } from './live.controller';
import { LiveRtpTap } from './live-rtp-tap';

/** Live monitoring: a call's audio from qm.rtp.v1 while it happens. */
@Module({ imports: [CallsModule], controllers: [LiveController], providers: [LiveRtpTap], exports: [LiveRtpTap] })
export class LiveModule {}
