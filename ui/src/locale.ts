// The locale to format numbers with: the given tag when Intl accepts it, else "en-US".
export function safeLocale(tag: string | undefined): string {
  if (tag === undefined || tag === "") return "en-US";
  try {
    return Intl.getCanonicalLocales(tag)[0] ?? "en-US";
  } catch {
    return "en-US";
  }
}
