import type { ChatRequest } from '@flotilla/core';
import { FlotillaError } from '@flotilla/core';
import type { FleetRouter } from '@flotilla/router';

/**
 * One num_ctx per model: a client asking for more than the router holds the model at gets a
 * 400 `contextOverflow` (a reload for one client would stall everyone else on that model);
 * less, or none, is served at the pinned window.
 */
export function checkNumCtx(router: FleetRouter, request: ChatRequest): void {
  const asked = request.options?.numCtx;
  if (asked === undefined) return;
  const pinned = router.numCtxFor(request.model);
  if (pinned !== undefined && asked > pinned) {
    throw new FlotillaError('contextOverflow', `num_ctx ${asked} is above the ${pinned} this gateway holds "${request.model}" at (one window per model, so no client forces a reload)`, {
      retryable: false,
      details: { param: 'options.num_ctx', numCtx: asked, pinned },
    });
  }
}
