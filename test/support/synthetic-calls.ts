// Kept for tests that import it from here: the builder lives in the pure lib @earshot/call-scenarios.
export * from '@earshot/call-scenarios';
