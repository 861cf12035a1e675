/** The demo service's routes, one per way of blocking (see handlers.ts). */
export const ROUTES = ['/config', '/login', '/catalog', '/export', '/primes', '/signup'] as const;
