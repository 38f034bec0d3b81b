/** Recorded searches per collection (opt in) and their replay on today's data (docs/insights.md, "Explain and replay"). */
import { tenantOf } from '../auth.js';
import type { App, Services } from '../context.js';
import { CollectionParams, errorResponses } from '../schemas/common.js';
import { RecordingBody, RecordingOut, ReplayBody, ReplayOut, SearchesOut, SearchesQuery, SearchParams } from '../schemas/recordings.js';

export default function recordingRoutes(app: App, services: Services): void {
  const tags = ['insights'];
  app.put(
    '/v1/collections/:name/recording',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        summary: "Turn recording of the collection's searches on or off, or resize its ring",
        description:
          'Recorded: each search\'s body, result ids and scores, plan and time, in a ring of `size` (1–10000, default 1000) kept in the collection\'s directory (searches.db): ' +
          'it survives restarts and goes with the collection. Searches are written in batches, at most a second after they ran. Turning it off keeps what was recorded.',
        params: CollectionParams,
        body: RecordingBody,
        response: { 200: RecordingOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => services.recordings.configure(tenantOf(req), req.params.name, req.body),
  );

  app.get(
    '/v1/collections/:name/recording',
    { config: { scope: 'read' }, schema: { tags, summary: "The collection's search recording: on or off, its size, how many searches it holds", params: CollectionParams, response: { 200: RecordingOut, ...errorResponses(401, 403, 404) } } },
    async (req) => services.recordings.state(tenantOf(req), req.params.name),
  );

  app.get(
    '/v1/collections/:name/searches',
    {
      config: { scope: 'read' },
      schema: { tags, summary: 'Recorded searches, newest first: body, result ids and scores, plan, time', params: CollectionParams, querystring: SearchesQuery, response: { 200: SearchesOut, ...errorResponses(400, 401, 403, 404) } },
    },
    async (req) => {
      const { limit, vectors } = req.query;
      return { searches: services.recordings.list(tenantOf(req), req.params.name, { limit: limit === undefined ? undefined : Number(limit), vectors: vectors === 'true' }) };
    },
  );

  app.delete(
    '/v1/collections/:name/searches',
    { config: { scope: 'write' }, schema: { tags, summary: 'Forget every recorded search of the collection (recording stays on or off)', params: CollectionParams, response: { ...errorResponses(401, 403, 404) } } },
    async (req, reply) => {
      services.recordings.clear(tenantOf(req), req.params.name);
      return reply.code(204).send();
    },
  );

  app.post(
    '/v1/collections/:name/searches/:id/replay',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        summary: "Run a recorded search again on today's data and show what changed",
        description: 'The recorded body runs as it was sent (not recorded itself). `diff`: ids added and removed, moved (rank from → to), and score changes; `overlap`: shared ids over the longer answer.',
        params: SearchParams,
        body: ReplayBody,
        response: { 200: ReplayOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (req) => services.recordings.replay(tenantOf(req), req.params.name, req.params.id, { explain: req.body?.explain }),
  );
}
