//! Scoped sharing: buffers and upcalls lent to the kernel for one scope.
//!
//! The kernel keeps an allowed buffer or a subscribed upcall until the app
//! replaces it. Safe code must never be able to free or reuse memory the
//! kernel still holds, so sharing is tied to a scope:
//!
//! ```text
//!  share::scope(|handle| {            // 1. the list (AllowRo, Subscribe, ...)
//!      S::allow_ro(handle, &buffer);  //    is created in scope()'s own frame
//!      ...                            // 2. the kernel may use `buffer`
//!  });                                // 3. scope() drops the list: each entry
//!                                     //    un-allows / unsubscribes, and only
//!                                     //    then can `buffer` go away
//! ```
//!
//! Invariants, enforced here:
//! - a [`Handle`] can only be made by [`scope`] (or `unsafe` code), and
//!   `scope` owns the list, so the list cannot be leaked or forgotten;
//! - an allow or subscribe needs a `Handle` to its list entry, and the
//!   buffer or upcall must live for `'share`, which outlives the list;
//! - `'share` is invariant, so a handle cannot be re-typed to a shorter
//!   share than its list's.

mod handle;
mod tuple_impls;

pub use handle::{Handle, SplittableHandle};

/// A list of shares (an [`crate::AllowRo`], [`crate::AllowRw`],
/// [`crate::Subscribe`] or a tuple of lists) whose `Drop` revokes each one.
pub trait List: Default {}

/// Runs `fn_` with a handle to a fresh list `L`, then revokes every share
/// in the list before returning.
pub fn scope<L: List, Output, F: for<'handle> FnOnce(Handle<'handle, L>) -> Output>(
    fn_: F,
) -> Output {
    let list = L::default();
    // SAFETY: `list` lives in this frame and nothing can move it out, so its
    // `Drop` runs when this function returns (or unwinds), before `'share`
    // ends: exactly `Handle::new`'s requirement.
    let handle = unsafe { Handle::new(&list) };
    fn_(handle)
}

#[cfg(test)]
mod tests;
