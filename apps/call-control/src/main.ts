import { writeCaptureFileReport } from '@earshot/capture';
import { CaptureFileError } from '@earshot/packet';
import { TOPICS, type CallEvent } from '@earshot/events';
import { isKafkaRetriable } from '@earshot/kafka';
import { runService, type RunningService } from '@earshot/service';
import { AgentCalls } from './agent-calls';
import { AgentServer } from './agent-server';
import { callControlSettings } from './call-control-settings';
import { CallEventPublisher } from './call-event-publisher';
import { DirectoryReader } from './directory-reader';
import { DirectoryView } from './directory-view';
import { SipCapturePipeline } from './sip-capture-pipeline';
import { defaultSipFilter, processCaptureFile, startLiveCapture } from './sniff-source';

// Call control: follows SIP dialogs (sniff) or a PBX's announcements (agent) and publishes the
// CallEvents of the calls to record (qm.call-control.v1).
void runService({
  kind: 'call-control',
  settings: callControlSettings,
  start: async ({ config, instanceId, log, kafka, codec, producer, counters, signal }): Promise<RunningService> => {
    if (config.mode === 'agent' && config.agent.token === null) {
      // Like any other configuration error: exit 2 naming the setting, before taking any work.
      process.stderr.write('call-control: configuration error: EARSHOT_AGENT_TOKEN / agent.token is required in agent mode (a PBX must present it as a Bearer token)\n');
      process.exit(2);
    }
    const localNumberPatterns = (config.localNumberPatterns ?? '').split(/\s+/).filter((p) => p !== '');
    const view = new DirectoryView({ recordEveryone: config.recordEveryone, recordWhileEmpty: config.recordWhileDirectoryEmpty, localDomains: config.localDomains, localNumberPatterns });

    // The directory and configuration as they stand, before the first call is judged.
    const directory = new DirectoryReader({ kafka, codec, view, groupIdBase: `${config.kafka.groupPrefix}-call-control-directory`, log, counters });
    await directory.start();
    log.info('directory loaded', { users: view.userCount, recordEveryone: view.recordEveryone, recordingEveryCallWhileEmpty: view.recordsEveryCallWhileEmpty, localDomains: view.localPolicy.localDomains, localNumberPatterns: view.localPolicy.localNumberPatterns.map((r) => r.source) });

    const publisher = new CallEventPublisher({
      view, instanceId, counters, signal,
      sink: async (events: CallEvent[]) => {
        await producer.send(TOPICS.callControl, events.map((value) => ({ key: value.callId, value })));
      },
      retryIf: isKafkaRetriable,
      onDecision: (callId, d, direction) => log.debug('call judged', { callId, record: d.record, why: d.why, direction, callerUser: d.callerUserId, calleeUser: d.calleeUserId }),
      onSendError: (error, events) => log.error('call events not published', { error, events: events.length, firstCallId: events[0]?.callId }),
    });

    if (config.mode === 'agent') {
      const server = new AgentServer({
        listen: config.agent.listen,
        token: config.agent.token as string,
        issuedTokenSha256s: () => view.agentTokenSha256s,
        calls: new AgentCalls({ view, instanceId }),
        publish: (event) => publisher.enqueue(event),
        counters,
        onProblem: (message, details) => log.warn(message, details),
      });
      const address = await server.start();
      log.info('agent endpoint listening', { address: address.address, port: address.port });
      return {
        stop: async () => {
          await server.stop();
          await publisher.flush();
          await directory.stop();
        },
      };
    }

    const sipPorts = config.sipPorts.map(Number);
    const pipeline = new SipCapturePipeline({
      sipPorts,
      sipOnAnyPort: config.sipOnAnyPort,
      tracker: { establishedIdleTimeoutMs: config.idleTimeoutS * 1000 },
      onEvent: (e) => publisher.onSipEvent(e),
    });
    const mirrorTimer = setInterval(() => counters.setTotals(pipeline.counters()), 1000);
    mirrorTimer.unref();

    const file = config.capture.file;
    if (file !== null) {
      const started = performance.now();
      const done = processCaptureFile(file, pipeline, publisher, signal).then(
        async ({ records, stopped, damaged }) => {
          clearInterval(mirrorTimer);
          const seconds = (performance.now() - started) / 1000;
          if (damaged) {
            counters.inc(`capture.damaged.${damaged.reason}`);
            log.warn('capture damaged: the records before the damage were processed', { file, records, reason: damaged.reason, error: damaged.message });
          }
          counters.setTotals(pipeline.counters());
          log.info('capture processed', {
            file, records, stopped, seconds: Number(seconds.toFixed(3)), recordsPerSecond: Math.round(records / Math.max(seconds, 1e-6)),
            calls: counters.get('calls.recorded') + counters.get('calls.not-recorded'),
            recorded: counters.get('calls.recorded'), notRecorded: counters.get('calls.not-recorded'),
            events: counters.get('events.published'), counters: pipeline.counters(),
          });
          if (config.capture.reportFile !== null) {
            await writeCaptureFileReport(config.capture.reportFile, {
              file, app: 'call-control', records, complete: !stopped,
              damaged: damaged ? { reason: damaged.reason, message: damaged.message } : null, counters: counters.snapshot(),
            });
          }
        },
        (error: unknown) => {
          clearInterval(mirrorTimer);
          if (error instanceof CaptureFileError) {
            throw Object.assign(new Error(`${file} is not a readable capture file: ${error.message}`), { reason: error.reason });
          }
          throw error;
        },
      );
      return {
        done,
        stop: async () => {
          await done.catch(() => undefined);
          await directory.stop();
        },
      };
    }

    const filter = config.capture.filter ?? defaultSipFilter(sipPorts);
    const live = startLiveCapture({ interface: config.capture.interface, filter, snapLength: config.capture.snapLength, pipeline, log, counters });
    log.info('capturing SIP', { interface: config.capture.interface, filter });
    return {
      stop: async () => {
        live.stop();
        clearInterval(mirrorTimer);
        counters.setTotals(pipeline.counters());
        log.info('capture summary', { counters: pipeline.counters() });
        await publisher.flush();
        await directory.stop();
      },
    };
  },
});
