//! One flash driver shared by several users (the key-value store, the app
//! loader): each user gets a [`FlashUser`] that implements the flash HIL
//! itself, and the [`FlashMux`] runs their operations one at a time, in
//! the order they were asked for round the users, handing each completion
//! back to the user that asked.
//!
//! Guarantees: at most one operation per user is outstanding (a second
//! gets BUSY at once, with its buffer back); an operation the driver
//! refuses at start is reported to its user through the usual callback,
//! later, never from inside the user's call.

use core::cell::Cell;

use kernel::hil::flash::{Flash, FlashClient};
use kernel::ErrorCode;

/// A user's request waiting for (or holding) the driver.
enum Request {
    Read(usize, &'static mut [u8]),
    Write(usize, &'static mut [u8]),
    Erase(usize),
}

/// The multiplexer: client of the real driver.
pub struct FlashMux<'a> {
    flash: &'a dyn Flash<'a>,
    users: Cell<&'a [&'a FlashUser<'a>]>,
    /// Index of the user whose operation is in flight.
    current: Cell<Option<usize>>,
    /// Index of the user whose turn is next (round robin).
    next_turn: Cell<usize>,
}

impl<'a> FlashMux<'a> {
    /// A mux over `flash` (make the mux the driver's client, then
    /// [`FlashMux::set_users`]).
    pub const fn new(flash: &'a dyn Flash<'a>) -> Self {
        FlashMux {
            flash,
            users: Cell::new(&[]),
            current: Cell::new(None),
            next_turn: Cell::new(0),
        }
    }

    /// The users, in service order after the one that last ran.
    pub fn set_users(&self, users: &'a [&'a FlashUser<'a>]) {
        self.users.set(users);
    }

    /// Starts the next waiting request, if the driver is free.
    fn start_next(&self) {
        if self.current.get().is_some() {
            return;
        }
        let users = self.users.get();
        let first = self.next_turn.get();
        for step in 0..users.len() {
            let index = (first + step) % users.len();
            let Some(request) = users[index].waiting.take() else {
                continue;
            };
            self.current.set(Some(index));
            self.next_turn.set(index + 1);
            let refused = match request {
                Request::Read(page, buffer) => self
                    .flash
                    .read_page(page, buffer)
                    .err()
                    .map(|(error, buffer)| (error, Some(buffer), true)),
                Request::Write(page, buffer) => self
                    .flash
                    .write_page(page, buffer)
                    .err()
                    .map(|(error, buffer)| (error, Some(buffer), false)),
                Request::Erase(page) => self.flash.erase_page(page).err().map(|e| (e, None, false)),
            };
            if let Some((error, buffer, read)) = refused {
                // Reported from the user's deferred path: the mux keeps
                // the failure and the user hears of it on the next
                // completion pass (see `FlashUser::refused`).
                users[index].refused.set(Some((error, buffer, read)));
                self.current.set(None);
                users[index].report_refusal();
                continue;
            }
            return;
        }
    }

    fn finish(&self) -> Option<&'a FlashUser<'a>> {
        let index = self.current.take()?;
        self.users.get().get(index).copied()
    }
}

impl FlashClient for FlashMux<'_> {
    fn read_complete(&self, buffer: &'static mut [u8], result: Result<(), ErrorCode>) {
        let user = self.finish();
        self.start_next();
        if let Some(client) = user.and_then(|user| user.client.get()) {
            client.read_complete(buffer, result);
        }
    }

    fn write_complete(&self, buffer: &'static mut [u8], result: Result<(), ErrorCode>) {
        let user = self.finish();
        self.start_next();
        if let Some(client) = user.and_then(|user| user.client.get()) {
            client.write_complete(buffer, result);
        }
    }

    fn erase_complete(&self, result: Result<(), ErrorCode>) {
        let user = self.finish();
        self.start_next();
        if let Some(client) = user.and_then(|user| user.client.get()) {
            client.erase_complete(result);
        }
    }
}

/// What a refused request owes its user: the error, the buffer (none for
/// an erase) and whether it was a read.
type Refusal = (ErrorCode, Option<&'static mut [u8]>, bool);

/// One user's view of the shared flash.
pub struct FlashUser<'a> {
    mux: &'a FlashMux<'a>,
    client: Cell<Option<&'a dyn FlashClient>>,
    waiting: Cell<Option<Request>>,
    refused: Cell<Option<Refusal>>,
    deferred_call: kernel::deferred_call::DeferredCall,
}

impl<'a> FlashUser<'a> {
    /// A user of `mux`; `deferred_call` reports refusals (register the
    /// user as its client).
    pub fn new(mux: &'a FlashMux<'a>, deferred_call: kernel::deferred_call::DeferredCall) -> Self {
        FlashUser {
            mux,
            client: Cell::new(None),
            waiting: Cell::new(None),
            refused: Cell::new(None),
            deferred_call,
        }
    }

    fn report_refusal(&self) {
        self.deferred_call.set();
    }

    fn busy(&self) -> bool {
        let waiting = self.waiting.take();
        let refused = self.refused.take();
        let busy = waiting.is_some() || refused.is_some() || self.is_current();
        self.waiting.set(waiting);
        self.refused.set(refused);
        busy
    }

    fn is_current(&self) -> bool {
        self.mux
            .current
            .get()
            .and_then(|index| self.mux.users.get().get(index).copied())
            .is_some_and(|user| core::ptr::eq(user, self))
    }

    fn ask(&self, request: Request) {
        self.waiting.set(Some(request));
        self.mux.start_next();
    }
}

impl kernel::deferred_call::DeferredCallClient for FlashUser<'_> {
    fn handle_deferred_call(&self) {
        let (Some((error, buffer, read)), Some(client)) = (self.refused.take(), self.client.get())
        else {
            return;
        };
        match buffer {
            Some(buffer) if read => client.read_complete(buffer, Err(error)),
            Some(buffer) => client.write_complete(buffer, Err(error)),
            None => client.erase_complete(Err(error)),
        }
    }
}

impl<'a> Flash<'a> for FlashUser<'a> {
    fn set_client(&self, client: &'a dyn FlashClient) {
        self.client.set(Some(client));
    }

    fn page_size(&self) -> usize {
        self.mux.flash.page_size()
    }

    fn erase_size(&self) -> usize {
        self.mux.flash.erase_size()
    }

    fn read_page(
        &self,
        page: usize,
        buffer: &'static mut [u8],
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        if self.busy() {
            return Err((ErrorCode::Busy, buffer));
        }
        self.ask(Request::Read(page, buffer));
        Ok(())
    }

    fn write_page(
        &self,
        page: usize,
        buffer: &'static mut [u8],
    ) -> Result<(), (ErrorCode, &'static mut [u8])> {
        if self.busy() {
            return Err((ErrorCode::Busy, buffer));
        }
        self.ask(Request::Write(page, buffer));
        Ok(())
    }

    fn erase_page(&self, page: usize) -> Result<(), ErrorCode> {
        if self.busy() {
            return Err(ErrorCode::Busy);
        }
        self.ask(Request::Erase(page));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::kv::fake_flash::FakeFlash;
    use crate::test_support::buffer;
    use core::cell::RefCell;
    use kernel::deferred_call::DeferredCalls;
    use std::boxed::Box;
    use std::vec::Vec;

    #[derive(Default)]
    struct Recorder(RefCell<Vec<(&'static str, u8)>>);
    impl FlashClient for Recorder {
        fn read_complete(&self, buffer: &'static mut [u8], result: Result<(), ErrorCode>) {
            assert!(result.is_ok());
            self.0.borrow_mut().push(("read", buffer[0]));
        }
        fn write_complete(&self, buffer: &'static mut [u8], result: Result<(), ErrorCode>) {
            assert!(result.is_ok());
            self.0.borrow_mut().push(("write", buffer[0]));
        }
        fn erase_complete(&self, result: Result<(), ErrorCode>) {
            assert!(result.is_ok());
            self.0.borrow_mut().push(("erase", 0));
        }
    }

    #[test]
    fn two_users_share_one_flash_and_hear_only_of_their_own_operations() {
        let memory = FakeFlash::erased(8);
        memory.borrow_mut()[512] = 0x5a;
        let flash = FakeFlash::new(memory, 4);
        let calls: &'static DeferredCalls = Box::leak(Box::new(DeferredCalls::new()));
        let mux: &'static FlashMux<'static> = Box::leak(Box::new(FlashMux::new(flash)));
        flash.set_client(mux);
        let users: &'static [&'static FlashUser<'static>] = Box::leak(Box::new([
            &*Box::leak(Box::new(FlashUser::new(mux, calls.allocate()))),
            &*Box::leak(Box::new(FlashUser::new(mux, calls.allocate()))),
        ]));
        mux.set_users(users);
        let recorders: [&'static Recorder; 2] =
            [Box::leak(Box::default()), Box::leak(Box::default())];
        users[0].set_client(recorders[0]);
        users[1].set_client(recorders[1]);

        users[0].read_page(1, buffer(512)).unwrap();
        let data = buffer(512);
        data[0] = 0x11;
        users[1].write_page(2, data).unwrap();
        let refused = users[0].read_page(0, buffer(512)).unwrap_err();
        assert_eq!(refused.0, ErrorCode::Busy, "one operation per user");
        users[1]
            .erase_page(4)
            .expect_err("busy while its write waits");
        while flash.complete() || calls.service_next() {}
        assert_eq!(*recorders[0].0.borrow(), [("read", 0x5a)]);
        assert_eq!(*recorders[1].0.borrow(), [("write", 0x11)]);
        assert_eq!(memory.borrow()[1024], 0x11);
        users[1].erase_page(2).unwrap();
        while flash.complete() || calls.service_next() {}
        assert_eq!(recorders[1].0.borrow()[1], ("erase", 0));
        assert_eq!(memory.borrow()[1024], 0xFF);
    }
}
