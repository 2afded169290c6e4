import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [sveltekit()],
  // The API lives on the same origin as the pages (VITE_API is empty), so no proxy is needed.
  define: { 'import.meta.env.VITE_API': JSON.stringify(process.env.VITE_API ?? '') },
  optimizeDeps: { include: ['date-fns', 'date-fns-tz'] },
  build: { chunkSizeWarningLimit: 8192, reportCompressedSize: false },
  logLevel: 'warn',
});
