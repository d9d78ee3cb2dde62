/** "host:port", with an IPv6 host in brackets ("[::1]:7000"); a host already in brackets is kept as is. */
export function formatHostPort(host: string, port: number): string {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  return bare.includes(':') ? `[${bare}]:${port}` : `${bare}:${port}`;
}
