// Service worker: the app shell and the shipped data work offline after one visit.
// ./x build writes the precache list and a version derived from the bundle's file hashes
// (the two placeholders below), so a new bundle is a new worker, picked up on the next visit.
const VERSION = '__AFE_VERSION__';
const PRECACHE = __AFE_PRECACHE__;
const SHELL_CACHE = `afe-shell-${VERSION}`;
const SHELL_PREFIX = 'afe-shell-';
const scope = new URL(self.registration.scope);

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    await cache.addAll(PRECACHE.map((path) => new URL(path, scope).href));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    // Only our own old shells: the data cache and the model cache belong to the page.
    for (const name of await caches.keys()) {
      if (name.startsWith(SHELL_PREFIX) && name !== SHELL_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return;
  if (request.headers.has('range')) return; // model byte ranges go straight to the network
  if (request.mode === 'navigate') {
    // Network first, so a new deploy shows at once; offline, every route is the shell.
    event.respondWith(fetch(request).catch(async () => {
      const cache = await caches.open(SHELL_CACHE);
      return (await cache.match(new URL('index.html', scope).href)) ?? Response.error();
    }));
    return;
  }
  // Hashed bundle files and shipped data: cache first, then network (and remember it).
  event.respondWith((async () => {
    const cache = await caches.open(SHELL_CACHE);
    const hit = await cache.match(request, { ignoreSearch: true });
    if (hit) return hit;
    const response = await fetch(request);
    // Bundle files fetched later (the engine worker) are kept for offline use; models are
    // cached by the playground itself, data files by the explorer.
    if (response.ok && /\.(js|wasm|css)$/.test(url.pathname)) await cache.put(request, response.clone());
    return response;
  })());
});
