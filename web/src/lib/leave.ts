// Moving to another app of the same origin (the dashboard <-> the customer portal): a full page
// load, since each has its own base path. One object so component tests can watch it.

export const browser = {
  go(url: string): void {
    window.location.assign(url);
  },
};

/** The portal of a tenant (by its slug; the tenant id when the slug is not known). */
export function portalPath(slug: string | null | undefined, rest = ''): string {
  return `/portal/${encodeURIComponent(slug || 'demo')}${rest}`;
}
