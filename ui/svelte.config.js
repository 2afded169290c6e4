// The dev server's web UI: a SvelteKit shell of our own whose routes mount the pages that
// @temporalio/ui ships as a Svelte library. Built once into build/ and served by the devserver.
import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
export default {
  // The library's components keep `<script lang="ts">`, so TypeScript is stripped here.
  preprocess: [vitePreprocess({ script: true })],
  kit: {
    // Every route is rendered in the browser; the devserver answers unknown paths with index.html.
    adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', strict: false }),
    prerender: { entries: [] },
    // The app checks for a newer build of itself; there is none to poll for on a dev server.
    version: { pollInterval: 0 },
  },
};
