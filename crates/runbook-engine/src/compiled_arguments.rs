//! The compiled arguments of the `jsonpath` and `regex` template filters,
//! kept for the process: a filter runs at every render, often in a loop or
//! a retry, with the same few arguments, and parsing a path or compiling a
//! regex costs far more than applying it. Bounded: past [`MAX_ENTRIES`]
//! distinct arguments (a template that builds them from data), the cache
//! starts over, so memory stays flat.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Most distinct arguments kept per filter.
pub(crate) const MAX_ENTRIES: usize = 256;

/// Compiled values by the text they were compiled from.
pub(crate) struct CompiledArguments<T> {
    entries: Mutex<HashMap<String, Arc<T>>>,
}

impl<T> CompiledArguments<T> {
    /// An empty cache.
    pub(crate) fn new() -> Self {
        Self { entries: Mutex::new(HashMap::new()) }
    }

    /// The value compiled from `text`, compiling it on first use.
    pub(crate) fn get(&self, text: &str, compile: impl FnOnce(&str) -> T) -> Arc<T> {
        if let Some(found) = self.entries.lock().unwrap_or_else(PoisonError::into_inner).get(text) {
            return Arc::clone(found);
        }
        let compiled = Arc::new(compile(text));
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(text.to_owned(), Arc::clone(&compiled));
        compiled
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::{CompiledArguments, MAX_ENTRIES};

    #[test]
    fn an_argument_is_compiled_once_and_shared() {
        let cache = CompiledArguments::new();
        let compiled = Cell::new(0);
        let compile = |text: &str| {
            compiled.set(compiled.get() + 1);
            text.len()
        };
        let first = cache.get("$.a.b", compile);
        let again = cache.get("$.a.b", compile);
        assert!(std::sync::Arc::ptr_eq(&first, &again));
        assert_eq!(compiled.get(), 1);
        assert_eq!(*cache.get("$.c", compile), 3);
        assert_eq!(compiled.get(), 2);
    }

    #[test]
    fn arguments_built_from_data_do_not_grow_the_cache_without_bound() {
        let cache = CompiledArguments::new();
        for n in 0..MAX_ENTRIES * 3 + 7 {
            let text = format!("$.item{n}");
            assert_eq!(*cache.get(&text, str::len), text.len());
            assert!(cache.len() <= MAX_ENTRIES);
        }
        assert_eq!(cache.len(), 7);
    }
}
