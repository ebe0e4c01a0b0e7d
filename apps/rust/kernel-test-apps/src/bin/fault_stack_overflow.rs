//! Recurses until its stack runs off the bottom of its RAM: the PMP must
//! fault it (store access fault below the RAM start).
#![no_std]
#![no_main]

use kernel_test_apps::{app_main, println};

app_main!(main);

#[inline(never)]
fn recurse(depth: u32) -> u32 {
    // Never true within a stack's worth of frames: the PMP stops it first.
    if depth == u32::MAX {
        return 0;
    }
    let frame = [depth; 16];
    // black_box keeps the frame (and the recursion) from being optimised away.
    core::hint::black_box(&frame);
    recurse(depth + 1).wrapping_add(frame[depth as usize % 16])
}

fn main() {
    println!("fault_stack_overflow: start");
    let depth = recurse(0);
    println!("fault_stack_overflow: ISOLATION BROKEN, returned {}", depth);
}
