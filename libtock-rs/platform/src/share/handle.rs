//! The proof that a share list exists and will be dropped.

use super::List;
use core::marker::PhantomData;

/// Proves that a list `L` exists and that its `Drop` will run before it
/// becomes invalid. Only [`super::scope`] makes one safely.
pub struct Handle<'handle, L: List> {
    // Acts as a `&'handle L`; private, so only this module constructs it.
    _list: PhantomData<&'handle L>,
}

impl<L: List> Clone for Handle<'_, L> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<L: List> Copy for Handle<'_, L> {}

impl<'handle, L: List> Handle<'handle, L> {
    /// A handle to `list`.
    ///
    /// # Safety
    /// `Drop::drop` must run on `*list` before `*list` becomes invalid: it
    /// may not be leaked or forgotten.
    pub unsafe fn new(list: &'handle L) -> Self {
        let _ = list;
        Handle { _list: PhantomData }
    }

    /// Re-types the handle to a part of `L`.
    ///
    /// # Safety
    /// An `Other` must exist inside `L`, so that dropping `L` drops it.
    pub unsafe fn change_type<Other: List>(self) -> Handle<'handle, Other> {
        Handle { _list: PhantomData }
    }

    /// Handles to each element of a tuple list.
    pub fn split(self) -> L::SplitHandles
    where
        L: SplittableHandle<'handle>,
    {
        L::split(self)
    }
}

/// A list made of sub-lists (a tuple), whose handle splits into theirs.
pub trait SplittableHandle<'handle>: List {
    /// A tuple of handles, one per element.
    type SplitHandles;

    /// Splits `handle`.
    fn split(handle: Handle<'handle, Self>) -> Self::SplitHandles;
}
