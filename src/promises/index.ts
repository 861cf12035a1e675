/**
 * Promise diagnostics: unhandled and late-handled rejections (always on: observing them costs
 * nothing until one happens) and floating promises (debug mode, or production with
 * LOOPWATCH_FLOATING / LOOPWATCH_FLOATING_SAMPLE: promise hooks cost 1.6x and more on promise-heavy
 * code, see the README). Findings go to the log, the live stats and the `promises` report section.
 */
import type { Feature } from '../feature';
import { mapFrame, type Frame } from '../stack/frames';
import { AGENT_ROOTS } from '../agent-roots';
import { shortLocation, type AttributionRules } from '../stack/attribution';
import { AgentLog, type LogFields } from '../log';
import { observeRejections } from './rejections';
import { startFloatingDetector, type FloatingDetector } from './floating';
import { createSiteTable, siteOf } from './sites';
import { parseSiteRules } from '../stack/site-rules';
import { createRejectionTable, type RejectionEntry } from './rejection-table';
import { trackCallbackContexts, type StallContextTracker } from './stall-context';
import { siteOf as stackSiteOf } from '../stack/attribution';

/** Stall contexts kept in the report (the most recent). */
const MAX_STALL_CONTEXTS = 50;

export const startPromises: Feature = (context) => {
  const { options, stats } = context;
  const cwd = process.cwd();
  const rules: AttributionRules = {
    appPaths: options.appPaths,
    agentRoots: AGENT_ROOTS,
  };
  // On the main thread: promise findings happen in process.emit and FinalizationRegistry callbacks,
  // never while the loop is blocked.
  const log = new AgentLog(options.log, options.logFormat, options.logLinesPerMinute, (message) => context.warn('LOOPWATCH_LOG_UNWRITABLE', message), 'promise');
  // Entries options.ts could not use were dropped there, with a warning.
  const ignore = parseSiteRules(options.floatingIgnore, cwd, false).rules;
  const floatingSites = createSiteTable(rules, ignore, cwd);
  const rejections = createRejectionTable();
  let detector: FloatingDetector | null = null;
  const where = (frame: Frame): string => `${shortLocation(frame, cwd)}${frame.function !== '(anonymous)' ? ` (${frame.function})` : ''}`;

  /**
   * Rejections seen but not yet logged. The reason's stack is read (and the line logged) on a
   * later turn, once Node is done with it: reading it earlier breaks Node's crash output (see
   * reason.ts). When the rejection kills the process, the line is logged at exit, without the
   * throwing line (Node prints the stack itself right after).
   */
  let pending: Array<{ entry: RejectionEntry; reason: unknown; isNew: boolean; kept: boolean }> = [];
  let later: NodeJS.Immediate | null = null;
  const logPending = (readStacks: boolean): void => {
    const batch = pending;
    pending = [];
    later = null;
    for (const { entry, reason, isNew, kept } of batch) {
      const readStack = readStacks && isNew;
      if (readStack && kept) rejections.addStack(entry, reason, rules);
      log.lineOf(() => {
        // A kind the full table does not keep (a storm of distinct messages): its stack is read
        // and source-mapped, on the app's thread, only for a line the rate limit lets through.
        if (readStack && !kept) rejections.addStack(entry, reason, rules);
        return rejectionLine(entry);
      });
    }
    if (batch.length > 0) context.markDirty();
  };
  const rejectionLine = (entry: RejectionEntry): { text: string; fields: LogFields } => {
    const at = entry.site !== null ? ` at ${where(entry.site)}` : '';
    const made = entry.createdAt !== null ? `; the promise was created at ${where(entry.createdAt)}` : '';
    return {
      text: `unhandled rejection: ${entry.name}: ${oneLine(entry.message)}${at}${made}`,
      fields: {
        event: 'unhandled-rejection',
        message: entry.message,
        site: entry.site === null ? null : shortLocation(entry.site, cwd),
        createdAt: entry.createdAt === null ? null : shortLocation(entry.createdAt, cwd),
      },
    };
  };
  const stopRejections = observeRejections({
    onUnhandled(reason, promise) {
      stats.unhandledRejections += 1;
      const creation = promise !== null && detector !== null ? detector.creationOf(promise) : null;
      const createdAt = creation === null ? null : siteOf(creation.map(mapFrame), rules);
      pending.push({ ...rejections.add(reason, createdAt), reason });
      if (later === null) {
        later = setImmediate(() => logPending(true));
        // Never the reason a process stays alive.
        later.unref();
      }
      context.markDirty();
    },
    onHandledLate() {
      stats.rejectionsHandledLate += 1;
      rejections.handledLate += 1;
      context.markDirty();
    },
  });

  if (options.floating) {
    try {
      detector = startDetector();
    } catch (error) {
      // The rejection half is already running and must be stopped by our stop(): contain this.
      context.warn('LOOPWATCH_INTERNAL', `floating-promise detection could not start (${(error as Error).message}); the rest of loopwatch runs`);
    }
  }
  function startDetector(): FloatingDetector {
    return startFloatingDetector({
      sample: Math.max(1, Math.floor(options.floatingSample)),
      onFloating(frames) {
        const found = floatingSites.add(frames);
        if (found === null) return;
        stats.floatingPromises += 1;
        if (found.first && found.site !== null) {
          log.line(`promise created at ${where(found.site)} was never awaited or handled`, {
            event: 'floating-promise',
            site: shortLocation(found.site, cwd),
            function: found.site.function,
          });
        }
        context.markDirty();
      },
    });
  }
  // Debug mode, on request: which async callback each stall ran in, and where it was scheduled.
  // Not by default: a stack per async resource cut an HTTP service's throughput by ~3.5x more.
  let contexts: StallContextTracker | null = null;
  const stallContexts: Array<{ durationMs: number; site: string | null; type: string; callbackMs: number; scheduledAt: Frame | null }> = [];
  if (options.mode === 'debug' && options.stallContext) {
    try {
      contexts = trackCallbackContexts(options.thresholdMs / 2);
      const tracker = contexts;
      context.onStall((stall) => {
        // LOOPWATCH_IGNORE_SITES: no line of any kind for an accepted blocker.
        if (stall.ignored === true) return;
        const found = tracker.find(stall.durationMs, 10_000);
        if (found === null) return;
        const scheduledAt = stackSiteOf(found.scheduledAt.map(mapFrame), rules);
        stallContexts.push({ durationMs: stall.durationMs, site: stall.site, type: found.type, callbackMs: Math.round(found.durationMs), scheduledAt });
        if (stallContexts.length > MAX_STALL_CONTEXTS) stallContexts.shift();
        log.line(`the ${Math.round(stall.durationMs)} ms stall${stall.site !== null ? ` at ${stall.site}` : ''} ran in a ${found.type} callback${scheduledAt !== null ? ` scheduled at ${where(scheduledAt)}` : ''}`, {
          event: 'stall-context',
          type: found.type,
          site: stall.site,
          scheduledAt: scheduledAt === null ? null : shortLocation(scheduledAt, cwd),
        });
        context.markDirty();
      });
      context.addReportSection('stallContexts', () => stallContexts.map((entry) => ({ ...entry })));
    } catch (error) {
      context.warn('LOOPWATCH_INTERNAL', `stall contexts could not start (${(error as Error).message}); the rest of loopwatch runs`);
    }
  }

  // At exit nothing can observe a promise any more: settled, unobserved ones are floating. This
  // listener is registered before the agent's report flush, so the report includes them.
  const onExit = (): void => {
    try {
      logPending(false);
      detector?.sweep();
    } catch {
      // Contained.
    }
  };
  process.on('exit', onExit);

  context.addReportSection('promises', () => {
    const floating = floatingSites.snapshot();
    return {
      ...rejections.snapshot(),
      floating: floating.sites,
      ...(floating.overflow > 0 ? { floatingOverflow: floating.overflow } : {}),
      floatingDetection: detector === null ? 'off' : options.floatingSample <= 1 ? 'every promise' : `1 in ${options.floatingSample}`,
    };
  });

  return () => {
    stopRejections();
    if (later !== null) clearImmediate(later);
    detector?.stop();
    contexts?.stop();
    process.removeListener('exit', onExit);
    log.close();
  };
};

function oneLine(text: string): string {
  const first = text.split('\n', 1)[0] ?? '';
  return first.length > 300 ? `${first.slice(0, 300)}...` : first;
}
