// Imported first: WebKitGTK reports the process locale as `navigator.language`, which is "C"
// under LANG=C (CI machines, minimal containers). That is not a BCP 47 tag, and libraries that
// build an `Intl.NumberFormat(navigator.language)` while loading (uPlot does) would throw before
// the app renders. Replace an invalid tag with "en-US" before anything else runs.
import { safeLocale } from "./locale";

const lang = safeLocale(navigator.language);
if (lang !== navigator.language) {
  Object.defineProperty(Navigator.prototype, "language", { get: () => lang, configurable: true });
  Object.defineProperty(Navigator.prototype, "languages", { get: () => [lang], configurable: true });
}
