/**
 * Watch streams: a chunked HTTP response of newline-delimited `{"type":..,"object":..}` events, with the
 * semantics of the real watch cache: start from a resourceVersion (410 Expired via an ERROR event when it
 * was compacted away), synthetic ADDED events when no resourceVersion is given, selector transitions
 * turned into ADDED/DELETED, timeoutSeconds (or the server's own random timeout), and bookmarks when the
 * client allows them, timed as the watch cache times them.
 */
import type { ServerResponse } from 'node:http';
import type { ResourceDef } from './resources.js';
import type { Predicate } from './selectors.js';
import { badRequest, expired } from './status.js';
import type { Store, StoreEvent } from './store.js';
import type { KubeObject } from './types.js';

export interface WatchRequest {
  def: ResourceDef;
  /** Only objects in this namespace; undefined for all namespaces / cluster-scoped resources. */
  namespace?: string;
  predicate: Predicate;
  resourceVersion?: string;
  timeoutSeconds?: number;
  allowBookmarks: boolean;
  /** WatchList (sendInitialEvents=true): initial ADDED events, then a bookmark marking their end. */
  sendInitialEvents: boolean;
  /** Turns a stored object into what goes on the wire (itself, or a Table row for kubectl). */
  render: (obj: KubeObject) => unknown;
}

/** kube-apiserver's --min-request-timeout default. */
const MIN_REQUEST_TIMEOUT_S = 1800;
/** The watch cache sends its last bookmark this long before a watch's deadline. */
const PRE_TIMEOUT_BOOKMARK_MS = 2000;

type WireType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export class WatchHub {
  private readonly open = new Set<ServerResponse>();

  constructor(
    private readonly store: Store,
    private readonly bookmarkIntervalMs: number,
  ) {}

  serve(res: ServerResponse, w: WatchRequest): void {
    const rvParam = w.resourceVersion ?? '';
    // "" and "0" both mean: the current state as synthetic ADDED events, then changes.
    const fromNow = rvParam === '' || rvParam === '0' || w.sendInitialEvents;
    const requested = fromNow ? this.store.resourceVersion : Number(rvParam);
    if (!Number.isInteger(requested) || requested < 0) throw badRequest(`invalid resource version: ${rvParam}`);

    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    res.flushHeaders();
    this.open.add(res);

    const kind = w.def.kind;
    let lastRv = requested;
    const write = (type: WireType, object: unknown): void => {
      if (!res.writableEnded) res.write(JSON.stringify({ type, object }) + '\n');
    };
    const bookmark = (annotations?: Record<string, string>): void => {
      const metadata: Record<string, unknown> = { resourceVersion: String(this.store.resourceVersion), creationTimestamp: null };
      if (annotations) metadata['annotations'] = annotations;
      write('BOOKMARK', { kind, apiVersion: w.def.apiVersion, metadata });
    };
    const inScope = (obj: KubeObject): boolean => w.namespace === undefined || obj.metadata.namespace === w.namespace;
    const matches = (obj: KubeObject | undefined): boolean => !!obj && inScope(obj) && w.predicate(obj);

    const deliver = (e: StoreEvent): void => {
      if (e.resource !== w.def.resource || e.rv <= lastRv) return;
      lastRv = e.rv;
      const now = matches(e.object);
      if (e.type !== 'MODIFIED') {
        if (now) write(e.type, w.render(e.object));
        return;
      }
      // A change that moves an object into or out of the selection is, for this watcher, an add or a delete.
      const before = matches(e.previous);
      if (before && now) write('MODIFIED', w.render(e.object));
      else if (now) write('ADDED', w.render(e.object));
      else if (before) write('DELETED', w.render(e.object));
    };

    let unsubscribe = (): void => {};
    let timeout: NodeJS.Timeout | undefined;
    let nextBookmark: NodeJS.Timeout | undefined;
    const finish = (): void => {
      unsubscribe();
      clearTimeout(timeout);
      clearTimeout(nextBookmark);
      this.open.delete(res);
      if (!res.writableEnded) res.end();
    };
    // 'close' on the response: the stream ended, or the client went away.
    res.on('close', finish);

    if (fromNow) {
      for (const obj of this.store.list(w.def.resource, w.namespace)) {
        if (w.predicate(obj)) write('ADDED', w.render(obj));
      }
      if (w.sendInitialEvents && w.allowBookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
    } else {
      const backlog = this.store.eventsSince(requested);
      if (!backlog) {
        write('ERROR', expired(requested, this.store.oldestResourceVersion));
        finish();
        return;
      }
      backlog.forEach(deliver);
    }
    unsubscribe = this.store.subscribe(deliver);

    // As kube-apiserver's watch handler: timeoutSeconds ends the watch cleanly whatever the traffic; without
    // it the server picks a random 1–2 × --min-request-timeout (1800 s).
    const timeoutMs =
      w.timeoutSeconds !== undefined && w.timeoutSeconds > 0 ? w.timeoutSeconds * 1000 : MIN_REQUEST_TIMEOUT_S * 1000 * (1 + Math.random());
    const deadline = Date.now() + timeoutMs;
    timeout = setTimeout(finish, timeoutMs);
    // As the watch cache (cacheWatcher.nextBookmarkTime): a bookmark about every bookmarkFrequency and one
    // 2 s before the deadline, so a client resumes from the newest resourceVersion. Nothing in between:
    // a quiet watch carries no bytes for up to a minute.
    const scheduleBookmark = (): void => {
      if (!w.allowBookmarks || this.bookmarkIntervalMs <= 0) return;
      const now = Date.now();
      const at = Math.min(now + this.bookmarkIntervalMs, deadline - PRE_TIMEOUT_BOOKMARK_MS);
      if (at < now) return;
      nextBookmark = setTimeout(() => {
        bookmark();
        scheduleBookmark();
      }, at - now);
    };
    scheduleBookmark();
  }

  /** Ends every open watch (the client sees the stream close, as when an API server restarts). */
  closeAll(): void {
    for (const res of [...this.open]) res.end();
    this.open.clear();
  }
}
