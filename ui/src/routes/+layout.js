import i18next from 'i18next';

import { i18nNamespaces } from '@temporalio/ui/i18n/index';
import resources from '@temporalio/ui/i18n/locales/index';

import '../app.css';

// Pages run only in the browser: the devserver serves static files and the /api/v1 JSON.
export const ssr = false;
export const prerender = false;

export const load = async () => {
  // English only: the dev server has one user at a keyboard, not a localized audience.
  await i18next.init({ lng: 'en', fallbackLng: 'en', ns: i18nNamespaces, defaultNS: 'common', resources });
};
