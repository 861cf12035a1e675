/** The words every boolean option accepts, in any case: the options module and the code cache's own setting read them alike. */
const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off']);

/** true, false, or undefined for a value that is not a boolean word. */
export function booleanWord(value: string): boolean | undefined {
  const lower = value.toLowerCase();
  if (TRUE_WORDS.has(lower)) return true;
  if (FALSE_WORDS.has(lower)) return false;
  return undefined;
}
