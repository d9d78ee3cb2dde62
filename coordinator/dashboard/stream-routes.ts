/** Live updates: GET /api/stream (DashboardFeed) and GET /api/jobs/:id/stream (the job's event log, as WatchJob follows it). */
import { JOB_STREAM_PACE_MS, type JobStreamEventName, type JobStreamEvents } from '../../shared/dashboard/api-types.js';
import { EVENT_ID_PATTERN } from '../jobs/job-event-log.js';
import { watchEvents } from '../api/watch-job.js';
import { JOB_STORE } from '../api/dependency-failure.js';
import type { DashboardDeps } from './dashboard-deps.js';
import type { DashboardFeed } from './dashboard-feed.js';
import { errorReply } from './http-errors.js';
import { NO_BODY, type Route } from './http-router.js';
import { toJobEventView } from './dashboard-views.js';
import { SseStream } from './sse-stream.js';

export function streamRoutes({ runner, jobs, log }: DashboardDeps, feed: DashboardFeed): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/api/stream',
      access: { rpc: 'WatchJob' },
      async handle({ response, closed }) {
        feed.subscribe(new SseStream(response, closed));
        return NO_BODY;
      },
    },
    {
      method: 'GET',
      pattern: '/api/jobs/:id/stream',
      access: { rpc: 'WatchJob' },
      dependency: JOB_STORE,
      async handle({ params, request, response, closed }) {
        const resumeAt = String(request.headers['last-event-id'] ?? '');
        const afterEventId = EVENT_ID_PATTERN.test(resumeAt) ? resumeAt : '';
        // Unknown job: a plain 404 before the stream opens (the browser then stops reconnecting).
        await jobs.mustExist(params.id);
        const stream = new SseStream(response, closed);
        const send = <E extends JobStreamEventName>(event: E, data: JobStreamEvents[E], id?: string): boolean => stream.send(event, data, id);
        try {
          for await (const event of watchEvents(runner.hub, jobs, { jobId: params.id, afterEventId }, closed, JOB_STREAM_PACE_MS)) {
            if (!send('job-event', toJobEventView(event), event.eventId || undefined)) await stream.drained();
            if (!stream.open) break;
          }
        } catch (error) {
          send('stream-error', errorReply(error, log, 'GET /api/jobs/:id/stream', JOB_STORE).body.error);
        }
        stream.end();
        return NO_BODY;
      },
    },
  ];
}
