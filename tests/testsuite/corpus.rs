//! The real documents in tests/fixtures/corpus (see its README for sources and licenses).
