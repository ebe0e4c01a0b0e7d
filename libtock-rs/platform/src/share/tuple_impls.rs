//! Tuples of lists are lists, and their handles split.

use super::{Handle, List, SplittableHandle};

macro_rules! tuple_list {
    ($($name:ident),+) => {
        impl<$($name: List),+> List for ($($name,)+) {}

        impl<'handle, $($name: List + 'handle),+> SplittableHandle<'handle> for ($($name,)+) {
            type SplitHandles = ($(Handle<'handle, $name>,)+);

            fn split(handle: Handle<'handle, Self>) -> Self::SplitHandles {
                // SAFETY: each element type is a field of the tuple, so
                // dropping the tuple drops it.
                ($(unsafe { handle.change_type::<$name>() },)+)
            }
        }
    };
}

tuple_list!(A);
tuple_list!(A, B);
tuple_list!(A, B, C);
tuple_list!(A, B, C, D);
tuple_list!(A, B, C, D, E);
tuple_list!(A, B, C, D, E, F);
