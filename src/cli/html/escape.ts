/** HTML escaping for everything that comes from a report: file names, functions, messages, source. */
export function esc(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
