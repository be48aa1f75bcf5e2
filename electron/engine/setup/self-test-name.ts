/** The zone every self-test name is under (its own module: the DNS thread loads it without the rest). */
export const SELF_TEST_SUFFIX = 'self-test.dns-witness.test';
