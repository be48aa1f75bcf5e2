// Command-line helpers shared by the benchmarks: one clear line and exit code 2 for a bad option.

/** `fail` and `wholeNumber` that prefix their messages with `prog`. */
export function usage(prog) {
  function fail(message) {
    console.error(`${prog}: ${message}`);
    process.exit(2);
  }
  function wholeNumber(name, text, fallback, min, maxValue) {
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > maxValue)
      fail(`--${name} needs a whole number from ${min} to ${maxValue}, got "${text}"`);
    return Number(text);
  }
  return { fail, wholeNumber };
}
