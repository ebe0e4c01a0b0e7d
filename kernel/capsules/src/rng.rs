//! Random numbers (driver 0x40001, upstream's interface) over the entropy
//! HIL.
//!
//! - allow read-write 0: the buffer to fill
//! - command 1 (count): fill `count` bytes (at most the buffer's length)
//! - subscribe 0: upcall (0, bytes filled, 0) when done
//!
//! Any number of processes may ask at once; each gets its own bytes.

use core::cell::Cell;

use kernel::grant::Grant;
use kernel::hil::entropy::{Continue, Entropy32, Entropy32Client};
use kernel::{CommandReturn, ErrorCode, ProcessId};

/// Per-process request: bytes still wanted and bytes filled so far.
#[derive(Default)]
pub struct RandomRequest {
    remaining: usize,
    filled: usize,
}

/// The grant this driver needs: one upcall, one read-write buffer.
pub type RngGrant = Grant<RandomRequest, 1, 0, 1>;

/// The RNG driver.
pub struct Rng<'a> {
    entropy: &'a dyn Entropy32<'a>,
    grant: RngGrant,
    generating: Cell<bool>,
}

impl<'a> Rng<'a> {
    /// A driver over `entropy` (set this driver as its client).
    pub fn new(entropy: &'a dyn Entropy32<'a>, grant: RngGrant) -> Self {
        Rng {
            entropy,
            grant,
            generating: Cell::new(false),
        }
    }
}

impl kernel::driver::SyscallDriver for Rng<'_> {
    fn command(
        &self,
        command: u32,
        argument0: u32,
        _argument1: u32,
        process: ProcessId,
    ) -> CommandReturn {
        match command {
            0 => CommandReturn::success(),
            1 => {
                let entered = self.grant.enter(process, |request, _| {
                    request.remaining = argument0 as usize;
                    request.filled = 0;
                });
                if let Err(error) = entered {
                    return CommandReturn::failure(error.into());
                }
                if !self.generating.get() {
                    if let Err(error) = self.entropy.get() {
                        return CommandReturn::failure(error);
                    }
                    self.generating.set(true);
                }
                CommandReturn::success()
            }
            _ => CommandReturn::failure(ErrorCode::NoSupport),
        }
    }

    fn allocate_grant(&self, process: ProcessId) -> Result<(), ErrorCode> {
        self.grant
            .enter(process, |_, _| ())
            .map_err(ErrorCode::from)
    }
}

impl Entropy32Client for Rng<'_> {
    fn entropy_available(
        &self,
        entropy: &mut dyn Iterator<Item = u32>,
        result: Result<(), ErrorCode>,
    ) -> Continue {
        if result.is_err() {
            self.generating.set(false);
            return Continue::Done;
        }
        let mut more_wanted = false;
        self.grant.each(|_, request, kernel_data| {
            if request.remaining == 0 {
                return;
            }
            let Ok(buffer) = kernel_data.read_write_buffer(0) else {
                return;
            };
            let wanted = request
                .remaining
                .min(buffer.len().saturating_sub(request.filled));
            let mut written = 0;
            while written < wanted {
                let Some(word) = entropy.next() else { break };
                let bytes = word.to_le_bytes();
                let count = (wanted - written).min(4);
                buffer.copy_from(request.filled + written, &bytes[..count]);
                written += count;
            }
            request.filled += written;
            request.remaining = if written == wanted {
                0
            } else {
                request.remaining - written
            };
            if request.remaining == 0 {
                let _ = kernel_data.schedule_upcall(0, (0, request.filled as u32, 0));
            } else {
                more_wanted = true;
            }
        });
        self.generating.set(more_wanted);
        if more_wanted {
            Continue::More
        } else {
            Continue::Done
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use kernel::driver::SyscallDriver;
    use kernel::testing::{TestCapability, TestKernel};
    use std::boxed::Box;

    #[derive(Default)]
    struct FakeEntropy {
        requests: Cell<u32>,
    }

    impl<'a> Entropy32<'a> for FakeEntropy {
        fn set_client(&self, _client: &'a dyn Entropy32Client) {}
        fn get(&self) -> Result<(), ErrorCode> {
            self.requests.set(self.requests.get() + 1);
            Ok(())
        }
        fn cancel(&self) -> Result<(), ErrorCode> {
            Ok(())
        }
    }

    #[test]
    fn fills_each_processes_buffer_and_calls_back() {
        let test = TestKernel::new(2, 2048);
        let entropy: &'static FakeEntropy = Box::leak(Box::default());
        let rng = Rng::new(entropy, test.kernel.create_grant(0x40001, &TestCapability));
        let (first, _) = test.allow_read_write(0, 0x40001, &rng, 0, 8);
        let (second, _) = test.allow_read_write(1, 0x40001, &rng, 0, 3);
        test.subscribe(0, 0x40001, &rng, 0);
        test.subscribe(1, 0x40001, &rng, 0);
        assert_eq!(
            rng.command(1, 6, 0, test.process_id(0)),
            CommandReturn::success()
        );
        assert_eq!(
            rng.command(1, 10, 0, test.process_id(1)),
            CommandReturn::success()
        );
        assert_eq!(entropy.requests.get(), 1, "one generation serves everyone");
        let mut words = [0x0403_0201u32, 0x0807_0605, 0x0c0b_0a09, 0x100f_0e0d].into_iter();
        assert_eq!(rng.entropy_available(&mut words, Ok(())), Continue::Done);
        assert_eq!(test.read(first, 8), [1, 2, 3, 4, 5, 6, 0, 0]);
        assert_eq!(test.read(second, 3), [9, 10, 11]);
        assert_eq!(test.take_upcalls(0)[0].arguments, [0, 6, 0]);
        assert_eq!(
            test.take_upcalls(1)[0].arguments,
            [0, 3, 0],
            "clipped to the buffer"
        );
    }

    #[test]
    fn runs_dry_and_asks_for_more() {
        let test = TestKernel::new(1, 2048);
        let entropy: &'static FakeEntropy = Box::leak(Box::default());
        let rng = Rng::new(entropy, test.kernel.create_grant(0x40001, &TestCapability));
        let (buffer, _) = test.allow_read_write(0, 0x40001, &rng, 0, 8);
        test.subscribe(0, 0x40001, &rng, 0);
        rng.command(1, 8, 0, test.process_id(0));
        assert_eq!(
            rng.entropy_available(&mut [0xffff_ffffu32].into_iter(), Ok(())),
            Continue::More
        );
        assert!(test.take_upcalls(0).is_empty());
        assert_eq!(
            rng.entropy_available(&mut [0u32, 0].into_iter(), Ok(())),
            Continue::Done
        );
        assert_eq!(test.read(buffer, 8), [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
        assert_eq!(test.take_upcalls(0)[0].arguments, [0, 8, 0]);
    }
}
